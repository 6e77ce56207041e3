"""The bytes of one event: ``encode_event`` (what ``SSE.send`` queues), checked against literal
wire examples and against an independent WHATWG parser (conftest.parse_stream)."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from microdot.sse import HEARTBEAT, encode_event

from conftest import parse_stream


@pytest.mark.parametrize('kwargs, wire', [
    # the Microdot 2.x wire examples: unchanged
    ({'data': 'foo'}, b'data: foo\n\n'),
    ({'data': 'bar', 'event': 'test'}, b'event: test\ndata: bar\n\n'),
    ({'data': 'bar', 'event': 'test', 'event_id': 'id42'}, b'event: test\nid: id42\ndata: bar\n\n'),
    ({'data': 'bar', 'retry': 2.5}, b'retry: 2500\ndata: bar\n\n'),
    ({'data': {'foo': 'bar'}}, b'data: {"foo": "bar"}\n\n'),
    ({'data': 'ping', 'comment': True}, b': ping\n\n'),
    # field order: retry, event, id, data
    ({'data': 'x', 'event_id': 3, 'event': 'e', 'retry': 1}, b'retry: 1000\nevent: e\nid: 3\ndata: x\n\n'),
    # data kinds
    ({'data': [1, 'two', None]}, b'data: [1, "two", null]\n\n'),
    ({'data': b'raw \xff bytes'}, b'data: raw \xff bytes\n\n'),
    ({'data': bytearray(b'ba')}, b'data: ba\n\n'),
    ({'data': memoryview(b'mv')}, b'data: mv\n\n'),
    ({'data': 42}, b'data: 42\n\n'),
    ({'data': 1.5}, b'data: 1.5\n\n'),
    ({'data': 'caf\u00e9 \U0001f600'}, 'data: caf\u00e9 \U0001f600\n\n'.encode('utf-8')),
    ({'data': ''}, b'data: \n\n'),
    # multi-line data: one data field per line, whatever the line end
    ({'data': 'a\nb'}, b'data: a\ndata: b\n\n'),
    ({'data': 'a\r\nb\rc\n'}, b'data: a\ndata: b\ndata: c\ndata: \n\n'),
    ({'data': b'x\r\n\r\ny'}, b'data: x\ndata: \ndata: y\n\n'),
    ({'data': {'text': 'a\nb'}}, b'data: {"text": "a\\nb"}\n\n'),  # JSON escapes its newlines
    # ids: any str or number; an empty id resets the client's last event id
    ({'data': 'x', 'event_id': 0}, b'id: 0\ndata: x\n\n'),
    ({'data': 'x', 'event_id': ''}, b'id: \ndata: x\n\n'),
    ({'data': 'x', 'event_id': 'caf\u00e9'}, 'id: caf\u00e9\ndata: x\n\n'.encode('utf-8')),
    # retry in seconds, written in whole milliseconds; 0 (reconnect at once) is written
    ({'data': 'x', 'retry': 0}, b'retry: 0\ndata: x\n\n'),
    ({'data': 'x', 'retry': 0.0015}, b'retry: 1\ndata: x\n\n'),
    ({'data': 'x', 'retry': 30}, b'retry: 30000\ndata: x\n\n'),
    # comments: every line stays a comment; other arguments are ignored
    ({'data': 'a\nb\r\nc', 'comment': True}, b': a\n: b\n: c\n\n'),
    ({'data': 'x', 'comment': True, 'event': 'e', 'event_id': 1, 'retry': 1}, b': x\n\n'),
    ({'data': '', 'comment': True}, b': \n\n'),
])
def test_wire(kwargs, wire):
    assert encode_event(**kwargs) == wire


@pytest.mark.parametrize('kwargs', [
    {'event': 'a\nb'}, {'event': 'a\rb'}, {'event': 'a\r\ndata: forged'},
    {'event_id': '1\n'}, {'event_id': '1\rretry: 1'}, {'event_id': 'a\x00b'},
])
def test_line_breaks_in_fields_are_refused(kwargs):
    with pytest.raises(ValueError):
        encode_event('payload', **kwargs)


def test_negative_retry_is_refused():
    with pytest.raises(ValueError):
        encode_event('x', retry=-1)


def test_heartbeat_is_a_comment():
    events, comments = parse_stream(HEARTBEAT)
    assert events == [] and comments == [' ping']


@settings(max_examples=300, deadline=None)
@given(data=st.text(), event=st.one_of(st.none(), st.text(min_size=1)),
       event_id=st.one_of(st.none(), st.text(), st.integers()),
       retry=st.one_of(st.none(), st.integers(min_value=0, max_value=10 ** 6)))
def test_any_text_round_trips_through_a_whatwg_parser(data, event, event_id, retry):
    bad_event = event is not None and ('\r' in event or '\n' in event)
    bad_id = isinstance(event_id, str) and any(c in event_id for c in '\r\n\x00')
    if bad_event or bad_id:
        with pytest.raises(ValueError):
            encode_event(data, event=event, event_id=event_id, retry=retry)
        return
    wire = encode_event(data, event=event, event_id=event_id, retry=retry)
    events, comments = parse_stream(b'id: before\n\n' + wire)  # a last id in force already
    assert comments == []
    assert len(events) == 1
    got = events[0]
    # the parser sees CRLF and CR as line ends, so the client gets them back as LF
    assert got['data'] == data.replace('\r\n', '\n').replace('\r', '\n')
    assert got['type'] == (event or 'message')
    assert got['id'] == ('before' if event_id is None else str(event_id))
    assert got['retry'] == (None if retry is None else retry * 1000)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_comments_never_dispatch_anything(text):
    events, comments = parse_stream(encode_event(text, comment=True) + b'data: after\n\n')
    assert [e['data'] for e in events] == ['after']
    assert '\n'.join(c[1:] for c in comments) == text.replace('\r\n', '\n').replace('\r', '\n')


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
                    max_leaves=10).filter(lambda v: isinstance(v, (dict, list))))
def test_json_round_trips(value):
    events, _ = parse_stream(encode_event(value))
    assert json.loads(events[0]['data']) == value
