"""The conformance suite's attack cases on the plugins, run again in the attack suite (imported,
not copied): WebSocket protocol errors (1002/1007/1009), forged and oversized session cookies,
the CORS table (disallowed origins, credentials). Each module's autouse fixture skips its cases
when that plugin's routes are not installed."""
from test_cors_conformance import cors_routes, test_cors_table  # noqa: F401
from test_session_conformance import (  # noqa: F401
    session_routes, test_attack_gives_an_empty_session, test_huge_cookie)
from test_websocket_conformance import (  # noqa: F401
    raw_ws, test_abrupt_disconnect_ends_the_handler, test_message_over_the_limit_closes_with_1009,
    test_oversized_across_fragments_refused_from_the_header,
    test_oversized_message_refused_from_its_header, test_protocol_errors, websocket_routes)
