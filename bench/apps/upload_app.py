"""The upload app of bench/upload_memory.py: the same code runs on this project's
microdot-multipart and on Microdot 2.6.2 (only the documented 2.x API is used), on CPython and
MicroPython.

    python upload_app.py PORT OUTDIR        micropython upload_app.py PORT OUTDIR

POST /save streams each file part to OUTDIR with ``FormDataIter`` and ``FileUpload.save()``;
POST /form takes the form with ``@with_form_data`` (which copies each file aside, spooled to a
temporary file past a small size) and then saves ``request.files['file']``. The file object
samples the heap every 64 KiB written (MicroPython: ``gc.collect()`` then ``gc.mem_alloc()``, the
live heap; CPython: tracemalloc's peak since the request began, which also covers
``with_form_data``'s copy) and the answer reports the figures."""
import gc
import sys

from microdot import Microdot, Request
from microdot.multipart import FileUpload, FormDataIter, with_form_data

try:
    import tracemalloc
except ImportError:
    tracemalloc = None

Request.max_content_length = 256 * 1024 * 1024  # the 2.x way; also honoured by this project
app = Microdot()
OUT = sys.argv[2]


class SamplingFile:
    def __init__(self, path):
        self.f = open(path, 'wb')
        self.written = 0
        self.next_sample = 0
        self.peak = 0

    def sample(self):
        if tracemalloc is not None:
            self.peak = max(self.peak, tracemalloc.get_traced_memory()[1])
        else:
            gc.collect()
            self.peak = max(self.peak, gc.mem_alloc())

    def write(self, data):
        self.f.write(data)
        self.written += len(data)
        if self.written >= self.next_sample:
            self.sample()
            self.next_sample += 65536

    def close(self):
        self.f.close()


class Measure:
    """The live memory when the request began, and the peak since then."""

    def __init__(self):
        gc.collect()
        if tracemalloc is not None:
            if not tracemalloc.is_tracing():
                tracemalloc.start()
            tracemalloc.reset_peak()
            self.base = tracemalloc.get_traced_memory()[0]
        else:
            self.base = gc.mem_alloc()

    def answer(self, sink):
        if sink is None:
            return {'written': 0, 'base': self.base, 'peak': 0, 'peak_above_base': 0}
        sink.sample()
        return {'written': sink.written, 'base': self.base, 'peak': sink.peak,
                'peak_above_base': sink.peak - self.base}


measures = []


@app.before_request
def begin(request):
    measures[:] = [Measure()]


@app.post('/save')
async def save(request):
    sink = None
    async for name, value in FormDataIter(request):
        if isinstance(value, FileUpload):
            sink = SamplingFile(OUT + '/upload.bin')
            await value.save(sink)
            sink.close()
    return measures[0].answer(sink)


@app.post('/form')
@with_form_data
async def form(request):
    sink = SamplingFile(OUT + '/upload.bin')
    await request.files['file'].save(sink)
    sink.close()
    return measures[0].answer(sink)


app.run(host='127.0.0.1', port=int(sys.argv[1]))
