"""Media the app asks for: playbacks (``/play``, ``/playbacks``) and snoop channels.

Playbacks answer ``201`` with the playback in state ``queued``; ``PlaybackStarted`` (``playing``)
follows, then ``PlaybackFinished`` (``done``) after ``playback_seconds`` per media item, or at once
when stopped or when the channel or bridge goes away. Snoop channels enter Stasis in the app named
and die with the channel they spy on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd.sim import events as ev
from acd.sim.model import Bridge, Channel, Kind, Party, Playback, stamp

if TYPE_CHECKING:
    from acd.sim.pbx import Pbx


class Media:
    """Playbacks and snoops of one :class:`~acd.sim.pbx.Pbx`."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.playbacks: dict[str, Playback] = {}
        self._snoops: dict[str, list[Channel]] = {}

    def reset(self) -> None:
        for pb in self.playbacks.values():
            if pb.handle is not None:
                pb.handle.cancel()
        self.playbacks.clear()
        self._snoops.clear()

    # --- playbacks ------------------------------------------------------------------------------

    def queue(self, target_uri: str, media: list[str], language: str, playback_id: str | None) -> Playback:
        pb = Playback(
            id=playback_id or self.pbx.ids.uuid(), media=media, target_uri=target_uri, language=language
        )
        self.playbacks[pb.id] = pb
        return pb

    def start(self, pb: Playback) -> None:
        pb.state = "playing"
        self._publish("PlaybackStarted", pb)
        seconds = self.pbx.config.playback_seconds * len(pb.media)
        pb.handle = self.pbx.clock.later(seconds, self.finish, pb, "done")

    def finish(self, pb: Playback, state: str = "done") -> None:
        if self.playbacks.pop(pb.id, None) is None:
            return
        if pb.handle is not None:
            pb.handle.cancel()
        pb.state = state
        self._publish("PlaybackFinished", pb)

    def _publish(self, kind: str, pb: Playback) -> None:
        target_kind, _, target_id = pb.target_uri.partition(":")
        body = ev.playback_event(kind, pb, stamp())
        if target_kind == "channel":
            self.pbx.router.publish(body, channels=[target_id])
        else:
            self.pbx.router.publish(body, bridges=[target_id])

    def channel_gone(self, ch: Channel) -> None:
        uri = f"channel:{ch.id}"
        for pb in [p for p in self.playbacks.values() if p.target_uri == uri]:
            self.finish(pb)
        for snoop in self._snoops.pop(ch.id, []):
            if snoop.alive:
                self.pbx.hangup(snoop, "remote")

    def bridge_gone(self, br: Bridge) -> None:
        uri = f"bridge:{br.id}"
        for pb in [p for p in self.playbacks.values() if p.target_uri == uri]:
            self.finish(pb)

    # --- snoop ----------------------------------------------------------------------------------

    def snoop(self, target: Channel, app: str, app_args: str, snoop_id: str | None) -> Channel:
        """A Snoop/ channel on ``target``; the caller enters it into Stasis with :meth:`launch_snoop`."""
        snoop = self.pbx.new_channel(
            Kind.SNOOP,
            self.pbx.ids.snoop_name(target.id),
            endpoint=None,
            state="Up",
            caller=Party(),
            connected=Party(),
            context="default",
            exten="s",
            protocol_id="",
            channel_id=snoop_id,
        )
        snoop.ever_up = True
        snoop.pending_app = app
        snoop.pending_args = app_args.split(",") if app_args else []
        self._snoops.setdefault(target.id, []).append(snoop)
        return snoop

    def launch_snoop(self, snoop: Channel) -> None:
        app, args = snoop.pending_app, snoop.pending_args
        snoop.pending_app = None
        if app is None or not self.pbx.enter_stasis(snoop, app, args):
            self.pbx.destroy(snoop)
