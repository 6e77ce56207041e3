"""The conformance suite's own attack cases on the core, run again in the attack suite (imported,
not copied): malformed heads, versions, size limits, framing and smuggling. Here each is followed
by the attack suite's liveness check."""
from test_core_conformance import (  # noqa: F401
    test_ambiguous_length_is_400, test_body_cut_short_by_close_is_not_served,
    test_chunked_request_over_limit_smuggles_nothing,
    test_expect_100_continue_refused_body_gets_no_100, test_head_too_large_is_431,
    test_header_line_too_long_is_431, test_http11_without_host_is_400,
    test_malformed_chunked_body, test_malformed_head_is_400, test_request_line_too_long_is_414,
    test_too_many_headers_is_431, test_transfer_encoding_in_http10_is_400,
    test_unknown_expectation_is_417, test_unsupported_http_version_is_505,
    test_unsupported_transfer_encoding)
