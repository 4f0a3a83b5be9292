"""The one exception the simulator's REST layer turns into an HTTP answer."""

from __future__ import annotations

from acd.sim.events import JsonObj, error


class SimRestError(Exception):
    """An ARI error answer: ``status`` and the JSON body Asterisk would send."""

    def __init__(self, status: int, body: JsonObj) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body

    @classmethod
    def message(cls, status: int, text: str) -> SimRestError:
        return cls(status, error(text))
