"""CSRF routes of the conformance app (MicroPython-safe), on a sub-app mounted with
``local=True`` under ``/csrf`` so that the check stays on these routes. Trusted origin:
``https://trusted.example``."""
from microdot import Microdot
from microdot.csrf import CSRF


def install(app):
    sub = Microdot()
    csrf = CSRF(sub, trusted_origins=['https://trusted.example'])

    @sub.route('/submit', methods=['GET', 'POST', 'PUT', 'DELETE'])
    def submit(request):
        return 'done ' + request.method

    @sub.post('/exempt')
    @csrf.exempt
    def exempt(request):
        return 'exempt'

    @sub.get('/protected')
    @csrf.protect
    def protected(request):
        return 'protected'

    app.mount(sub, url_prefix='/csrf', local=True)
