"""The application class and its URL map, which builds each distinct URL once.

A page builds a dozen URLs or more (navigation, language switch, forms, downloads), and
Werkzeug's builder works each out again on every call. The map keeps what it built, per
site and arguments: the same rule and values always give the same URL.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, MapAdapter

from .transactions import end_request_transaction

BUILT_URLS_KEPT = 20_000  # then the memo starts over (ids in URLs make the set open-ended)


class MemoizedBuildAdapter(MapAdapter):
    """A request's URL adapter whose ``build`` answers from the map's memo."""

    def build(self, endpoint, values=None, method=None, force_external=False,
              append_unknown=True, url_scheme=None) -> str:
        arguments = (endpoint, values, method, force_external, append_unknown, url_scheme)
        if isinstance(values, MultiDict):  # several values per name: not worth a key
            return super().build(*arguments)
        try:
            key = (self.server_name, self.script_name, self.subdomain, self.url_scheme,
                   self.default_method, endpoint, method, force_external, append_unknown,
                   # in the given order: it is the query string's order
                   url_scheme, *((name, type(value), value)
                                 for name, value in (values or {}).items()))
            built = self.map.built_urls.get(key)
        except TypeError:  # an unhashable value, such as a list
            return super().build(*arguments)
        if built is None:
            built = super().build(*arguments)
            if len(self.map.built_urls) >= BUILT_URLS_KEPT:
                self.map.built_urls.clear()
            self.map.built_urls[key] = built
        return built


class MemoizedBuildMap(Map):
    """A URL map whose adapters share one memo of built URLs (emptied when a rule is added)."""

    def __init__(self, *args, **kwargs) -> None:
        self.built_urls: dict[tuple, str] = {}
        super().__init__(*args, **kwargs)

    def add(self, rulefactory) -> None:
        self.built_urls.clear()
        super().add(rulefactory)

    def bind(self, *args, **kwargs) -> MapAdapter:
        return self._memoized(super().bind(*args, **kwargs))

    def bind_to_environ(self, *args, **kwargs) -> MapAdapter:
        # Werkzeug's bind_to_environ calls Map.bind directly, not self.bind.
        return self._memoized(super().bind_to_environ(*args, **kwargs))

    def _memoized(self, adapter: MapAdapter) -> MemoizedBuildAdapter:
        return MemoizedBuildAdapter(self, adapter.server_name, adapter.script_name,
                                    adapter.subdomain, adapter.url_scheme, adapter.path_info,
                                    adapter.default_method, adapter.query_args)


class IokFlask(Flask):
    url_map_class = MemoizedBuildMap

    def dispatch_request(self):
        """The view's answer, then the request's one commit (transactions.py). Inside
        dispatch, so a failing commit reaches the error handlers as the view's own error
        (a database outage is a 503, not a 500); a view that raised never gets here, and
        its staged changes are rolled back when the session closes."""
        answer = super().dispatch_request()
        end_request_transaction()
        return answer

    def preprocess_request(self):
        """A before_request hook that answered (a guard's redirect) ends the request too:
        what loading the user wrote (the session's last activity, a timed-out session's
        end) is committed like a view's work."""
        answer = super().preprocess_request()
        if answer is not None:
            end_request_transaction()
        return answer
