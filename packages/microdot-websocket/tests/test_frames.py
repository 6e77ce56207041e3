"""The sans-IO frame codec: bytes in, frames out, no sockets."""
import os

import pytest

from microdot.websocket import (
    BINARY, CLOSE, CONT, PING, PONG, TEXT, FrameParser, ProtocolError, accept_key,
    decode_close_payload, encode_close_payload, encode_frame, _utf8_valid)

from conftest import client_frame


def frames(parser, data, chunk=None):
    """Feed ``data`` (in pieces of ``chunk`` bytes) and collect every frame."""
    out = []
    chunk = chunk or len(data) or 1
    for i in range(0, len(data), chunk):
        parser.feed(data[i:i + chunk])
        while True:
            frame = parser.next_frame()
            if frame is None:
                break
            out.append(frame)
    return out


def test_accept_key_rfc_example():
    assert accept_key('dGhlIHNhbXBsZSBub25jZQ==') == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


@pytest.mark.parametrize('size,head_len', [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_encode_lengths(size, head_len):
    payload = os.urandom(size)
    frame = encode_frame(BINARY, payload)
    assert len(frame) == head_len + size
    assert frame[0] == 0x82 and not frame[1] & 0x80
    assert frame[head_len:] == payload


@pytest.mark.parametrize('size,chunk', [
    (size, chunk)
    for size in (0, 1, 3, 4, 5, 125, 126, 65535, 65536, 200001)
    for chunk in (None, 1, 7, 4096)
    if not (chunk == 1 and size > 70000)  # byte by byte through 200 KB: slow, adds nothing
])
def test_roundtrip_masked_frames(size, chunk):
    payload = os.urandom(size)
    data = encode_frame(BINARY, payload, mask=os.urandom(4))
    assert frames(FrameParser(), data, chunk) == [(BINARY, payload)]


def test_encoder_mask_matches_an_independent_client():
    parser = FrameParser()
    assert frames(parser, client_frame(TEXT, 'héllo') + client_frame(BINARY, b'\x00' * 300)) == \
        [(TEXT, 'héllo'), (BINARY, b'\x00' * 300)]


def test_fragments_and_interleaved_control_frames():
    data = (client_frame(TEXT, 'a', fin=False) + client_frame(PING, b'1') +
            client_frame(CONT, 'b', fin=False) + client_frame(PONG, b'2') +
            client_frame(CONT, 'c'))
    for chunk in (None, 1, 3):
        assert frames(FrameParser(), data, chunk) == [(PING, b'1'), (PONG, b'2'), (TEXT, 'abc')]


def test_text_character_split_across_fragments():
    data = client_frame(TEXT, b'\xe2', fin=False) + client_frame(CONT, b'\x82\xac')
    assert frames(FrameParser(), data) == [(TEXT, '€')]


@pytest.mark.parametrize('data,code', [
    (client_frame(TEXT, 'x', mask=False), 1002),
    (client_frame(TEXT, 'x', rsv=0x40), 1002),
    (client_frame(7, 'x'), 1002),
    (client_frame(15, 'x'), 1002),
    (client_frame(PING, 'x', fin=False), 1002),
    (client_frame(PONG, b'x' * 126), 1002),
    (client_frame(CONT, 'x'), 1002),
    (client_frame(TEXT, 'x', fin=False) + client_frame(BINARY, 'y'), 1002),
    (client_frame(TEXT, b'\xff'), 1007),
    (client_frame(TEXT, b'\xed\xbf\xbf'), 1007),
    (client_frame(BINARY, b'', length=101)[:8], 1009),
    (client_frame(BINARY, b'x' * 60, fin=False) + client_frame(CONT, b'', length=41)[:8], 1009),
])
def test_errors(data, code):
    parser = FrameParser(max_message_length=100)
    with pytest.raises(ProtocolError) as info:
        frames(parser, data)
    assert info.value.code == code


def test_limit_is_inclusive_and_zero_or_none_disable_it():
    assert frames(FrameParser(100), client_frame(BINARY, b'x' * 100)) == [(BINARY, b'x' * 100)]
    for limit in (0, None):
        big = b'x' * 300000
        assert frames(FrameParser(limit), client_frame(BINARY, big)) == [(BINARY, big)]


def test_closing_mode_skips_to_the_close_frame_without_buffering():
    parser = FrameParser(max_message_length=10)
    parser.feed(client_frame(BINARY, b'', length=1000000)[:14])
    with pytest.raises(ProtocolError):
        parser.next_frame()
    parser.closing = True
    assert parser.next_frame() is None
    for _ in range(100):
        parser.feed(b'\x00' * 10000)  # the rest of the huge payload: dropped
        assert parser.next_frame() is None
        assert parser.buffered() == 0
    parser.feed(client_frame(TEXT, 'ignored') + client_frame(CLOSE, b'\x03\xe8'))
    assert parser.next_frame() == (CLOSE, b'\x03\xe8')


def test_needed_hint():
    parser = FrameParser()
    assert parser.needed() == 2
    data = client_frame(BINARY, b'x' * 1000)
    parser.feed(data[:3])
    assert parser.needed() == 8 - 3  # the rest of the header (16-bit length, mask)
    parser.feed(data[3:10])
    assert parser.needed() == len(data) - 10


def test_close_payloads():
    assert decode_close_payload(b'') == (1005, '')
    assert decode_close_payload(encode_close_payload(4000, 'ok ✓')) == (4000, 'ok ✓')
    assert encode_close_payload(None) == b''
    assert encode_close_payload(1006) == b''
    long_reason = encode_close_payload(1000, '✓' * 100)
    assert len(long_reason) <= 125
    decode_close_payload(long_reason)  # cut on a character boundary
    for bad in (b'\x03', b'\x03\xed', b'\x00\x00', b'\x13\x88', b'\x03\xe8\xff'):
        with pytest.raises(ProtocolError):
            decode_close_payload(bad)


@pytest.mark.parametrize('data,valid', [
    (b'', True), (b'ascii', True), ('héllo €𝄞'.encode(), True),
    (b'\xc0\x80', False), (b'\xe0\x80\x80', False), (b'\xed\xa0\x80', False),
    (b'\xf4\x90\x80\x80', False), (b'\xf5\x80\x80\x80', False), (b'\x80', False),
    (b'\xe2\x82', False), (b'\xf0\x9d\x84', False),
])
def test_byte_level_utf8_check(data, valid):
    # used on MicroPython, whose decoder accepts surrogates and overlong forms
    assert _utf8_valid(data) is valid
