"""multipart/form-data routes of the conformance app (MicroPython-safe), on a sub-app mounted
with ``local=True`` under ``/multipart`` with its own limits: 10 parts, 1000-byte fields,
8000-byte files, 512 bytes of part headers."""
import binascii
import hashlib

from microdot import Microdot
from microdot.multipart import FileUpload, FormDataIter, Multipart, with_form_data


def _sha(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def install(app):
    sub = Microdot()
    Multipart(sub, max_parts=10, max_field_size=1000, max_file_size=8000,
              max_part_header_size=512, max_memory_size=1000)

    @sub.post('/form')
    @with_form_data
    async def form(request):
        fields = {}
        files = {}
        if request.form is not None:
            for name in request.form:
                fields[name] = request.form.getlist(name)
        if request.files is not None:
            for name in request.files:
                files[name] = []
                for f in request.files.getlist(name):
                    data = await f.read()
                    files[name].append({'filename': f.filename, 'type': f.content_type,
                                        'size': len(data), 'sha256': _sha(data)})
        return {'form': fields, 'files': files}

    @sub.post('/stream')
    async def stream(request):
        parts = []
        async for name, value in FormDataIter(request):
            if isinstance(value, FileUpload):
                h = hashlib.sha256()
                size = 0
                while True:
                    chunk = await value.read(700)
                    if not chunk:
                        break
                    size += len(chunk)
                    h.update(chunk)
                parts.append([name, value.filename, size,
                              binascii.hexlify(h.digest()).decode()])
            else:
                parts.append([name, value])
        return parts

    app.mount(sub, url_prefix='/multipart', local=True)
