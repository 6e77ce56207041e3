"""The upload app of bench/upload_memory.py: the same code runs on this project's microdot-multipart
and on Microdot 2.6.2 (only the 2.x API is used), on CPython and MicroPython.

    python upload_app.py PORT OUTDIR        micropython upload_app.py PORT OUTDIR

POST /save streams each file part to OUTDIR with ``FormDataIter`` and ``FileUpload.save()``; the
file object samples the heap every 64 KiB written (MicroPython: ``gc.collect()`` then
``gc.mem_alloc()``, the live heap; CPython: tracemalloc's current and peak traced memory) and the
answer reports the figures."""
import gc
import sys

from microdot import Microdot, Request
from microdot.multipart import FileUpload, FormDataIter

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


@app.post('/save')
async def save(request):
    gc.collect()
    if tracemalloc is not None:
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    else:
        base = gc.mem_alloc()
    sink = None
    async for name, value in FormDataIter(request):
        if isinstance(value, FileUpload):
            sink = SamplingFile(OUT + '/upload.bin')
            await value.save(sink)
            sink.sample()
            sink.close()
    if tracemalloc is not None:
        tracemalloc.stop()
    return {'written': sink.written if sink else 0, 'base': base,
            'peak': sink.peak if sink else 0,
            'peak_above_base': (sink.peak - base) if sink else 0}


app.run(host='127.0.0.1', port=int(sys.argv[1]))
