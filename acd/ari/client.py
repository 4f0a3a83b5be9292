"""``AriClient``: the ARI REST operations an ACD uses, typed, with Python keyword arguments.

Each method is one Swagger operation; its metric label is ``<resource>.<nickname>`` exactly as in
``ari-api-docs`` (``channels.originateWithId``, ``bridges.addChannel``), so a slow or failing label can
be looked up in Asterisk's documentation. Keyword arguments left as None are not sent, which leaves
Asterisk's own default in force. Lists (channels to add, media to play, event sources) are sent
comma-joined, the form Asterisk accepts for repeated parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

from pydantic import TypeAdapter

from acd.ari.http import DEFAULT_IDLE_SECONDS
from acd.ari.models import (
    Application,
    AsteriskInfo,
    AsteriskPing,
    Bridge,
    Channel,
    DeviceState,
    Endpoint,
    Playback,
    Variable,
)
from acd.ari.transport import AriTransport, query, segment
from acd.config import AriSettings
from acd.metrics import Metrics

_CHANNELS = TypeAdapter(list[Channel])
_BRIDGES = TypeAdapter(list[Bridge])
_ENDPOINTS = TypeAdapter(list[Endpoint])
_DEVICE_STATES = TypeAdapter(list[DeviceState])
_APPLICATIONS = TypeAdapter(list[Application])

Variables = Mapping[str, str]


def _variables(variables: Variables | None) -> dict[str, dict[str, str]] | None:
    return None if variables is None else {"variables": dict(variables)}


class AriClient:
    """Asynchronous ARI REST client over a pool of kept-alive HTTP connections (``acd.ari.http``)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        request_timeout: float = 5.0,
        keepalive_seconds: float = DEFAULT_IDLE_SECONDS,
        metrics: Metrics | None = None,
        connection_limit: int = 32,
    ) -> None:
        self.app = app
        self._http = AriTransport(
            base_url,
            username,
            password,
            request_timeout=request_timeout,
            keepalive_seconds=keepalive_seconds,
            metrics=metrics,
            connection_limit=connection_limit,
        )

    @classmethod
    def from_settings(
        cls,
        settings: AriSettings,
        *,
        metrics: Metrics | None = None,
    ) -> AriClient:
        return cls(
            settings.url,
            settings.username,
            settings.password.get_secret_value(),
            settings.app,
            request_timeout=settings.request_timeout,
            keepalive_seconds=settings.keepalive_seconds,
            metrics=metrics,
        )

    async def close(self) -> None:
        """Close the client's connections to Asterisk."""
        await self._http.close()

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- asterisk ---
    async def asterisk_info(self, only: str | Sequence[str] | None = None) -> AsteriskInfo:
        params = query(only=only)
        return await self._http.fetch(
            AsteriskInfo.model_validate_json, "asterisk.getInfo", "GET", "/asterisk/info", params
        )

    async def ping(self) -> AsteriskPing:
        return await self._http.fetch(
            AsteriskPing.model_validate_json, "asterisk.ping", "GET", "/asterisk/ping"
        )

    # --- channels ---
    async def list_channels(self) -> list[Channel]:
        return await self._http.fetch(_CHANNELS.validate_json, "channels.list", "GET", "/channels")

    async def get_channel(self, channel_id: str) -> Channel:
        path = f"/channels/{segment(channel_id)}"
        return await self._http.fetch(Channel.model_validate_json, "channels.get", "GET", path)

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str | None = None,
        app: str | None = None,
        app_args: str | Sequence[str] | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,  # noqa: ASYNC109 - Asterisk's ring timeout (s), not ours
        variables: Variables | None = None,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | Sequence[str] | None = None,
    ) -> Channel:
        """Originate a call. Pass ``channel_id`` (we choose it) so that events that arrive before this
        answer can already be matched to the call; ``app`` is not implied: pass ``app=client.app``."""
        params = query(
            endpoint=endpoint,
            app=app,
            appArgs=app_args,
            callerId=caller_id,
            timeout=timeout,
            context=context,
            extension=extension,
            priority=priority,
            label=label,
            otherChannelId=other_channel_id,
            originator=originator,
            formats=formats,
        )
        if channel_id is None:
            operation, path = "channels.originate", "/channels"
        else:
            operation, path = "channels.originateWithId", f"/channels/{segment(channel_id)}"
        return await self._http.fetch(
            Channel.model_validate_json, operation, "POST", path, params, _variables(variables)
        )

    async def create_channel(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str | Sequence[str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | Sequence[str] | None = None,
        variables: Variables | None = None,
    ) -> Channel:
        """Create a channel in Stasis without dialling it; ``dial()`` rings it later."""
        params = query(
            endpoint=endpoint,
            app=app,
            appArgs=app_args,
            channelId=channel_id,
            otherChannelId=other_channel_id,
            originator=originator,
            formats=formats,
        )
        return await self._http.fetch(
            Channel.model_validate_json,
            "channels.create",
            "POST",
            "/channels/create",
            params,
            _variables(variables),
        )

    async def dial(
        self,
        channel_id: str,
        caller: str | None = None,
        timeout: int | None = None,  # noqa: ASYNC109 - Asterisk's ring timeout (s), not ours
    ) -> None:
        params = query(caller=caller, timeout=timeout)
        await self._http.call("channels.dial", "POST", f"/channels/{segment(channel_id)}/dial", params)

    async def hangup(
        self, channel_id: str, reason: str | None = None, reason_code: str | None = None
    ) -> None:
        params = query(reason=reason, reason_code=reason_code)
        await self._http.call("channels.hangup", "DELETE", f"/channels/{segment(channel_id)}", params)

    async def answer(self, channel_id: str) -> None:
        await self._http.call("channels.answer", "POST", f"/channels/{segment(channel_id)}/answer")

    async def ring(self, channel_id: str) -> None:
        await self._http.call("channels.ring", "POST", f"/channels/{segment(channel_id)}/ring")

    async def ring_stop(self, channel_id: str) -> None:
        await self._http.call("channels.ringStop", "DELETE", f"/channels/{segment(channel_id)}/ring")

    async def progress(self, channel_id: str) -> None:
        await self._http.call("channels.progress", "POST", f"/channels/{segment(channel_id)}/progress")

    async def hold(self, channel_id: str) -> None:
        await self._http.call("channels.hold", "POST", f"/channels/{segment(channel_id)}/hold")

    async def unhold(self, channel_id: str) -> None:
        await self._http.call("channels.unhold", "DELETE", f"/channels/{segment(channel_id)}/hold")

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        params = query(mohClass=moh_class)
        await self._http.call("channels.startMoh", "POST", f"/channels/{segment(channel_id)}/moh", params)

    async def stop_moh(self, channel_id: str) -> None:
        await self._http.call("channels.stopMoh", "DELETE", f"/channels/{segment(channel_id)}/moh")

    async def start_silence(self, channel_id: str) -> None:
        await self._http.call("channels.startSilence", "POST", f"/channels/{segment(channel_id)}/silence")

    async def stop_silence(self, channel_id: str) -> None:
        await self._http.call("channels.stopSilence", "DELETE", f"/channels/{segment(channel_id)}/silence")

    async def mute(self, channel_id: str, direction: str | None = None) -> None:
        """Mute ``in``, ``out`` or ``both`` (Asterisk's default) directions."""
        params = query(direction=direction)
        await self._http.call("channels.mute", "POST", f"/channels/{segment(channel_id)}/mute", params)

    async def unmute(self, channel_id: str, direction: str | None = None) -> None:
        params = query(direction=direction)
        await self._http.call("channels.unmute", "DELETE", f"/channels/{segment(channel_id)}/mute", params)

    async def play(
        self,
        channel_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        """Play ``sound:``/``recording:``/``tone:``... URIs in order; ``playback_id`` names the playback."""
        params = query(media=media, lang=lang, offsetms=offsetms, skipms=skipms)
        if playback_id is None:
            operation, path = "channels.play", f"/channels/{segment(channel_id)}/play"
        else:
            operation = "channels.playWithId"
            path = f"/channels/{segment(channel_id)}/play/{segment(playback_id)}"
        return await self._http.fetch(Playback.model_validate_json, operation, "POST", path, params)

    async def send_dtmf(
        self,
        channel_id: str,
        dtmf: str,
        *,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None:
        """Send DTMF digits (``0-9*#A-D``, ``,`` for a pause); times in milliseconds."""
        params = query(dtmf=dtmf, before=before, between=between, duration=duration, after=after)
        await self._http.call("channels.sendDTMF", "POST", f"/channels/{segment(channel_id)}/dtmf", params)

    async def continue_in_dialplan(
        self,
        channel_id: str,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        """Leave Stasis for the dialplan (the queue's overflow or a transfer to a number)."""
        params = query(context=context, extension=extension, priority=priority, label=label)
        path = f"/channels/{segment(channel_id)}/continue"
        await self._http.call("channels.continueInDialplan", "POST", path, params)

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        params = query(endpoint=endpoint)
        await self._http.call(
            "channels.redirect", "POST", f"/channels/{segment(channel_id)}/redirect", params
        )

    async def move(self, channel_id: str, app: str, app_args: str | Sequence[str] | None = None) -> None:
        params = query(app=app, appArgs=app_args)
        await self._http.call("channels.move", "POST", f"/channels/{segment(channel_id)}/move", params)

    async def get_variable(self, channel_id: str, name: str) -> str:
        params = query(variable=name)
        path = f"/channels/{segment(channel_id)}/variable"
        variable = await self._http.fetch(
            Variable.model_validate_json, "channels.getChannelVar", "GET", path, params
        )
        return variable.value

    async def set_variable(self, channel_id: str, name: str, value: str | None) -> None:
        """Set a channel variable; None unsets it."""
        params = query(variable=name, value=value)
        path = f"/channels/{segment(channel_id)}/variable"
        await self._http.call("channels.setChannelVar", "POST", path, params)

    async def snoop(
        self,
        channel_id: str,
        *,
        app: str,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | Sequence[str] | None = None,
        snoop_id: str | None = None,
    ) -> Channel:
        """Start a snoop channel (supervisor listen ``spy``, whisper or barge) into ``app``."""
        params = query(spy=spy, whisper=whisper, app=app, appArgs=app_args)
        if snoop_id is None:
            operation, path = "channels.snoopChannel", f"/channels/{segment(channel_id)}/snoop"
        else:
            operation = "channels.snoopChannelWithId"
            path = f"/channels/{segment(channel_id)}/snoop/{segment(snoop_id)}"
        return await self._http.fetch(Channel.model_validate_json, operation, "POST", path, params)

    # --- bridges ---
    async def list_bridges(self) -> list[Bridge]:
        return await self._http.fetch(_BRIDGES.validate_json, "bridges.list", "GET", "/bridges")

    async def get_bridge(self, bridge_id: str) -> Bridge:
        path = f"/bridges/{segment(bridge_id)}"
        return await self._http.fetch(Bridge.model_validate_json, "bridges.get", "GET", path)

    async def create_bridge(
        self,
        bridge_id: str | None = None,
        *,
        type: str | Sequence[str] = "mixing",
        name: str | None = None,
    ) -> Bridge:
        """Create a bridge; ``type`` may combine flags (``"mixing,dtmf_events"``). An id of our own
        choosing lets events about the bridge be matched before this answer arrives."""
        params = query(type=type, name=name)
        if bridge_id is None:
            operation, path = "bridges.create", "/bridges"
        else:
            operation, path = "bridges.createWithId", f"/bridges/{segment(bridge_id)}"
        return await self._http.fetch(Bridge.model_validate_json, operation, "POST", path, params)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._http.call("bridges.destroy", "DELETE", f"/bridges/{segment(bridge_id)}")

    async def add_channel(
        self,
        bridge_id: str,
        channel: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        """Add channels; a channel already in another Stasis bridge is moved out of it by Asterisk."""
        params = query(
            channel=channel,
            role=role,
            absorbDTMF=absorb_dtmf,
            mute=mute,
            inhibitConnectedLineUpdates=inhibit_connected_line_updates,
        )
        path = f"/bridges/{segment(bridge_id)}/addChannel"
        await self._http.call("bridges.addChannel", "POST", path, params)

    async def remove_channel(self, bridge_id: str, channel: str | Sequence[str]) -> None:
        params = query(channel=channel)
        path = f"/bridges/{segment(bridge_id)}/removeChannel"
        await self._http.call("bridges.removeChannel", "POST", path, params)

    async def start_bridge_moh(self, bridge_id: str, moh_class: str | None = None) -> None:
        params = query(mohClass=moh_class)
        await self._http.call("bridges.startMoh", "POST", f"/bridges/{segment(bridge_id)}/moh", params)

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        await self._http.call("bridges.stopMoh", "DELETE", f"/bridges/{segment(bridge_id)}/moh")

    async def play_on_bridge(
        self,
        bridge_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        announcer_format: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        params = query(
            media=media, lang=lang, announcer_format=announcer_format, offsetms=offsetms, skipms=skipms
        )
        if playback_id is None:
            operation, path = "bridges.play", f"/bridges/{segment(bridge_id)}/play"
        else:
            operation = "bridges.playWithId"
            path = f"/bridges/{segment(bridge_id)}/play/{segment(playback_id)}"
        return await self._http.fetch(Playback.model_validate_json, operation, "POST", path, params)

    # --- playbacks ---
    async def get_playback(self, playback_id: str) -> Playback:
        path = f"/playbacks/{segment(playback_id)}"
        return await self._http.fetch(Playback.model_validate_json, "playbacks.get", "GET", path)

    async def stop_playback(self, playback_id: str) -> None:
        await self._http.call("playbacks.stop", "DELETE", f"/playbacks/{segment(playback_id)}")

    # --- endpoints and device states ---
    async def list_endpoints(self, technology: str | None = None) -> list[Endpoint]:
        if technology is None:
            return await self._http.fetch(_ENDPOINTS.validate_json, "endpoints.list", "GET", "/endpoints")
        path = f"/endpoints/{segment(technology)}"
        return await self._http.fetch(_ENDPOINTS.validate_json, "endpoints.listByTech", "GET", path)

    async def get_endpoint(self, technology: str, resource: str) -> Endpoint:
        path = f"/endpoints/{segment(technology)}/{segment(resource)}"
        return await self._http.fetch(Endpoint.model_validate_json, "endpoints.get", "GET", path)

    async def list_device_states(self) -> list[DeviceState]:
        return await self._http.fetch(
            _DEVICE_STATES.validate_json, "deviceStates.list", "GET", "/deviceStates"
        )

    async def get_device_state(self, name: str) -> DeviceState:
        path = f"/deviceStates/{segment(name)}"
        return await self._http.fetch(DeviceState.model_validate_json, "deviceStates.get", "GET", path)

    async def set_device_state(self, name: str, state: str) -> None:
        """Set a ``Stasis:<name>`` device state (e.g. an agent's, for BLF lamps)."""
        params = query(deviceState=state)
        await self._http.call("deviceStates.update", "PUT", f"/deviceStates/{segment(name)}", params)

    async def delete_device_state(self, name: str) -> None:
        await self._http.call("deviceStates.delete", "DELETE", f"/deviceStates/{segment(name)}")

    # --- applications ---
    async def list_applications(self) -> list[Application]:
        return await self._http.fetch(
            _APPLICATIONS.validate_json, "applications.list", "GET", "/applications"
        )

    async def get_application(self, app: str | None = None) -> Application:
        """What Asterisk holds for the app (``self.app`` by default): the ids to resync from."""
        path = f"/applications/{segment(app or self.app)}"
        return await self._http.fetch(Application.model_validate_json, "applications.get", "GET", path)

    async def subscribe(self, event_source: str | Sequence[str], app: str | None = None) -> Application:
        """Subscribe the app to ``endpoint:PJSIP/agent1``, ``channel:<id>``, ``deviceState:<name>``..."""
        params = query(eventSource=event_source)
        path = f"/applications/{segment(app or self.app)}/subscription"
        return await self._http.fetch(
            Application.model_validate_json, "applications.subscribe", "POST", path, params
        )

    async def set_event_filter(
        self,
        app: str | None = None,
        *,
        allowed: Sequence[str] | None = None,
        disallowed: Sequence[str] | None = None,
    ) -> Application:
        """Choose the event types Asterisk sends the app, cutting noise (``ChannelVarset``...) at the
        source. A list left as None keeps its current value, an empty one clears it; disallowed wins."""
        body: dict[str, list[dict[str, str]]] = {}
        if allowed is not None:
            body["allowed"] = [{"type": kind} for kind in allowed]
        if disallowed is not None:
            body["disallowed"] = [{"type": kind} for kind in disallowed]
        path = f"/applications/{segment(app or self.app)}/eventFilter"
        # The body is the filter itself, not wrapped in its parameter name as ``variables`` is.
        return await self._http.fetch(
            Application.model_validate_json, "applications.filter", "PUT", path, None, body
        )

    async def unsubscribe(self, event_source: str | Sequence[str], app: str | None = None) -> Application:
        params = query(eventSource=event_source)
        path = f"/applications/{segment(app or self.app)}/subscription"
        return await self._http.fetch(
            Application.model_validate_json, "applications.unsubscribe", "DELETE", path, params
        )
