"""A real SAML 2 identity provider for the tests, run as its own process on
127.0.0.1 (as pysaml2's example idp2 does, on `saml2.server.Server`).

- `/idp.xml`: its metadata (entity id `http://127.0.0.1:<port>/idp.xml`);
  `/federation.xml`, the same in an aggregate signed as a federation's is
  (with the IdP's own key: `RunningIdP.certificate()`).
- `/sso/redirect`: an AuthnRequest (HTTP-Redirect binding, its signature
  checked against the SP's metadata, read over HTTP) → a login form where
  the person types a username and a password → a signed Response posted
  back to the SP's ACS (HTTP-POST binding, the form submits itself).
- `/slo/redirect`: a LogoutRequest from the SP (its IdP session ends, a
  signed LogoutResponse goes back), or the SP's LogoutResponse to a logout
  this IdP started (`/logout?user=<username>`: IdP-initiated single logout).
- `/log`: what happened (logins and logouts), as JSON, for the tests.

Test users (a JSON file given with --users): `"mode": "encrypted"` answers
as the federation's Shibboleth IdPs do (the response signed, its assertion
encrypted to the SP's certificate); others misbehave on purpose:
`"mode": "unsigned"` sends a Response signed nowhere, `"wrong_audience"` one
meant for another service provider.

`start_idp()` runs it from a test; `python tests/sso_saml_idp.py --port N
--users users.json --sp-metadata URL` by hand.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import html
import json
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = Path(__file__).resolve().parent
CONFIG_DIR = HERE / "sso_servers" / "saml_idp"
XMLSEC = "/usr/bin/xmlsec1"
OTHER_SP = "https://un-autre-service.example.org/sp"

# What a French university's IdP releases about its students and staff.
USERS: dict[str, dict[str, Any]] = {
    "etudiant": {
        "password": "motdepasse-etudiant",
        "attributes": {
            "eduPersonPrincipalName": ["lea.martin@univ-test.fr"],
            "mail": ["lea.martin@etu.univ-test.fr"],
            "givenName": ["Léa"],
            "sn": ["Martin"],
            "supannCodeINE": ["1234567890V"],
            "supannEtuId": ["21900123"],
        },
    },
    # As Shibboleth IdPs of the federation answer: the response signed, its assertion encrypted to the SP.
    "etudiant-chiffre": {
        "password": "motdepasse-etudiant",
        "mode": "encrypted",
        "attributes": {
            "eduPersonPrincipalName": ["hugo.bernard@univ-test.fr"],
            "mail": ["hugo.bernard@etu.univ-test.fr"],
            "givenName": ["Hugo"],
            "sn": ["Bernard"],
            "supannCodeINE": ["0DDG5R00015"],
        },
    },
    "sans-signature": {
        "password": "motdepasse-etudiant",
        "mode": "unsigned",
        "attributes": {"eduPersonPrincipalName": ["mallory@univ-test.fr"], "mail": ["mallory@univ-test.fr"]},
    },
    "autre-audience": {
        "password": "motdepasse-etudiant",
        "mode": "wrong_audience",
        "attributes": {"eduPersonPrincipalName": ["oscar@univ-test.fr"], "mail": ["oscar@univ-test.fr"]},
    },
}


def generate_key_pair(folder: Path, common_name: str) -> tuple[Path, Path]:
    """A self-signed RSA key and certificate (PEM), made now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / "idp.key", folder / "idp.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@dataclass
class IdP:
    base: str
    users: dict[str, dict[str, Any]]
    sp_metadata: list[str]
    workdir: Path
    pending: dict[str, tuple[Any, str]] = field(default_factory=dict)  # form key → (AuthnRequest, RelayState)
    sessions: dict[str, str] = field(default_factory=dict)  # IdP cookie → username
    name_ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # NameID → (username, SP entity id)
    log: list[dict[str, str]] = field(default_factory=list)
    _server: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def entity_id(self) -> str:
        return f"{self.base}/idp.xml"

    def config(self, with_sp: bool) -> Any:
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT

        key_file, cert_file = self.workdir / "idp.key", self.workdir / "idp.crt"
        conf: dict[str, Any] = {
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC,
            "attribute_map_dir": str(CONFIG_DIR / "attributemaps"),
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "accepted_time_diff": 60,
            "service": {
                "idp": {
                    "name": "IdP de test (université)",
                    "endpoints": {
                        "single_sign_on_service": [(f"{self.base}/sso/redirect", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{self.base}/slo/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                    "want_authn_requests_signed": True,
                    "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}},
                }
            },
        }
        if with_sp:
            conf["metadata"] = {"remote": [{"url": url} for url in self.sp_metadata]}
        config = IdPConfig()
        config.load(conf)
        return config

    def metadata(self) -> str:
        from saml2.metadata import entity_descriptor

        return str(entity_descriptor(self.config(with_sp=False)))

    def federation(self) -> str:
        """Its metadata inside an EntitiesDescriptor signed with its key, as a
        federation's aggregate is (signed by RENATER's key, there)."""
        from saml2.metadata import create_metadata_string

        signed = create_metadata_string(None, self.config(with_sp=False), valid="24", mid="federation-test", sign=True)
        return signed.decode() if isinstance(signed, bytes) else str(signed)

    def server(self, reload: bool = False) -> Any:
        """The SP's metadata is read over HTTP when first needed (the SP may
        start after this IdP), and again when an unknown SP turns up."""
        from saml2.server import Server

        with self.lock:
            if self._server is None or reload:
                self._server = Server(config=self.config(with_sp=True))
            return self._server

    # --- the pages -------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
        else:
            form = {}
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        session = cookie["idp_session"].value if "idp_session" in cookie else ""
        try:
            status, headers, body = self.route(path, method, query, form, session)
        except Exception as error:  # the tests read what went wrong
            status, headers, body = "400 Bad Request", [], f"<p>Erreur : {html.escape(repr(error))}</p>"
        data = body.encode()
        headers = [("Content-Type", "text/html; charset=utf-8"), *headers, ("Content-Length", str(len(data)))]
        start_response(status, headers)
        return [data]

    def route(self, path: str, method: str, query: dict[str, str], form: dict[str, str], session: str) -> Any:
        if path == "/idp.xml":
            return "200 OK", [("Content-Type", "application/samlmetadata+xml")], self.metadata()
        if path == "/federation.xml":
            return "200 OK", [("Content-Type", "application/samlmetadata+xml")], self.federation()
        if path == "/log":
            return "200 OK", [("Content-Type", "application/json")], json.dumps(self.log)
        if path == "/sso/redirect":
            return self.single_sign_on(query, session)
        if path == "/login" and method == "POST":
            return self.login(form)
        if path == "/slo/redirect":
            return self.single_logout(query, session)
        if path == "/logout":
            return self.initiate_logout(query["user"])
        return "404 Not Found", [], "<p>Page inconnue</p>"

    def single_sign_on(self, query: dict[str, str], session: str) -> Any:
        from saml2 import BINDING_HTTP_REDIRECT

        args = (query["SAMLRequest"], BINDING_HTTP_REDIRECT, query.get("RelayState"))
        kwargs = {"sigalg": query.get("SigAlg"), "signature": query.get("Signature")}
        server = self.server()
        try:
            request = server.parse_authn_request(*args, **kwargs)
        except Exception:  # an SP this IdP has not read yet: read the metadata again
            server = self.server(reload=True)
            request = server.parse_authn_request(*args, **kwargs)
        if request is None:
            return "400 Bad Request", [], "<p>Demande invalide</p>"
        user = self.sessions.get(session)
        if user:  # already signed in here: answer at once
            return self.answer(user, request, query.get("RelayState", ""))
        key = secrets.token_urlsafe(16)
        self.pending[key] = (request, query.get("RelayState", ""))
        return "200 OK", [], self.login_form(key, "")

    def login_form(self, key: str, error: str) -> str:
        message = f'<p role="alert" id="erreur">{html.escape(error)}</p>' if error else ""
        return (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Université de test — connexion</title>'
            "</head><body><main><h1>Université de test : service d’authentification</h1>"
            f'{message}<form method="post" action="/login"><input type="hidden" name="key" value="{key}">'
            '<p><label for="username">Identifiant</label> '
            '<input id="username" name="username" autocomplete="username"></p>'
            '<p><label for="password">Mot de passe</label> <input id="password" name="password" type="password"></p>'
            '<p><button type="submit">Se connecter</button></p></form></main></body></html>'
        )

    def login(self, form: dict[str, str]) -> Any:
        key = form.get("key", "")
        if key not in self.pending:
            return "400 Bad Request", [], "<p>Demande expirée</p>"
        username = form.get("username", "")
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user["password"], form.get("password", "")):
            return "200 OK", [], self.login_form(key, "Identifiant ou mot de passe incorrect.")
        request, relay_state = self.pending.pop(key)
        cookie = secrets.token_urlsafe(16)
        self.sessions[cookie] = username
        status, headers, body = self.answer(username, request, relay_state)
        return status, [*headers, ("Set-Cookie", f"idp_session={cookie}; Path=/; HttpOnly; SameSite=Lax")], body

    def answer(self, username: str, parsed: Any, relay_state: str) -> Any:
        """A Response for `username` to the parsed AuthnRequest, posted back
        to the SP by a form that submits itself."""
        from saml2 import BINDING_HTTP_POST
        from saml2.assertion import Policy
        from saml2.saml import AUTHN_PASSWORD, NAMEID_FORMAT_PERSISTENT, NameID

        server = self.server()
        request = parsed.message
        sp = request.issuer.text
        user = self.users[username]
        mode = user.get("mode", "")
        args = server.response_args(request, [BINDING_HTTP_POST])
        name_id = NameID(
            format=NAMEID_FORMAT_PERSISTENT,
            name_qualifier=self.entity_id,
            sp_name_qualifier=sp,
            text=hashlib.sha256(f"{username}|{sp}".encode()).hexdigest()[:32],
        )
        self.name_ids[name_id.text] = (username, sp)
        signed = mode != "unsigned"
        conditions = Policy.conditions
        with self.lock:
            if mode == "wrong_audience":  # the assertion's Audience names another SP
                Policy.conditions = lambda policy, _sp: conditions(policy, OTHER_SP)  # type: ignore[method-assign]
            try:
                response = server.create_authn_response(
                    user["attributes"],
                    in_response_to=args["in_response_to"],
                    destination=args["destination"],
                    sp_entity_id=sp,
                    name_id=name_id,
                    authn={"class_ref": AUTHN_PASSWORD, "authn_auth": self.entity_id},
                    sign_response=signed,
                    sign_assertion=signed and mode != "encrypted",
                    encrypt_assertion=mode == "encrypted",  # to the SP's encryption certificate in its metadata
                )
            finally:
                Policy.conditions = conditions  # type: ignore[method-assign]
        http = server.apply_binding(BINDING_HTTP_POST, str(response), args["destination"], relay_state, response=True)
        self.log.append({"event": "login", "user": username, "sp": sp})
        return "200 OK", [], http["data"]

    def single_logout(self, query: dict[str, str], session: str) -> Any:
        from saml2 import BINDING_HTTP_REDIRECT

        server = self.server()
        if "SAMLResponse" in query:  # the SP's answer to a logout this IdP started
            server.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
            self.log.append({"event": "logout-confirmed"})
            return "200 OK", [], "<p>Vous êtes déconnecté de tous les services.</p>"
        request = server.parse_logout_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        message = request.message
        username, sp = self.name_ids.pop(message.name_id.text, ("", ""))
        for cookie, user in list(self.sessions.items()):
            if user == username:
                del self.sessions[cookie]
        self.log.append({"event": "logout", "user": username, "sp": sp, "signed": str(bool(query.get("Signature")))})
        response = server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
        services = server.metadata.single_logout_service(message.issuer.text, BINDING_HTTP_REDIRECT, "spsso")
        location = services[0]["location"]
        http = server.apply_binding(
            BINDING_HTTP_REDIRECT, str(response), location, query.get("RelayState", ""), response=True, sign=True
        )
        return "303 See Other", [("Location", dict(http["headers"])["Location"])], ""

    def initiate_logout(self, username: str) -> Any:
        """IdP-initiated single logout: a LogoutRequest to the SP the person
        signed in to, through their browser."""
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

        server = self.server()
        text, (user, sp) = next((k, v) for k, v in self.name_ids.items() if v[0] == username)
        services = server.metadata.single_logout_service(sp, BINDING_HTTP_REDIRECT, "spsso")
        location = services[0]["location"]
        name_id = NameID(
            format=NAMEID_FORMAT_PERSISTENT, name_qualifier=self.entity_id, sp_name_qualifier=sp, text=text
        )
        request_id, request = server.create_logout_request(location, sp, name_id=name_id, sign=False)
        http = server.apply_binding(BINDING_HTTP_REDIRECT, str(request), location, "", sign=True)
        del self.name_ids[text], user, request_id
        self.log.append({"event": "logout-started", "user": username, "sp": sp})
        return "303 See Other", [("Location", dict(http["headers"])["Location"])], ""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=Path, required=True)
    parser.add_argument("--sp-metadata", action="append", default=[])
    parser.add_argument("--workdir", type=Path, required=True)
    options = parser.parse_args()
    base = f"http://127.0.0.1:{options.port}"
    generate_key_pair(options.workdir, "IdP de test")
    idp = IdP(base, json.loads(options.users.read_text()), options.sp_metadata, options.workdir)
    with make_server(
        "127.0.0.1", options.port, idp, server_class=_ThreadingServer, handler_class=_QuietHandler
    ) as httpd:
        print("ready", flush=True)
        httpd.serve_forever()


# --- for the tests --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RunningIdP:
    base: str

    @property
    def entity_id(self) -> str:
        return f"{self.base}/idp.xml"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/idp.xml"

    def certificate(self) -> str:
        """Its signing certificate (PEM), as its metadata gives it."""
        with urllib.request.urlopen(self.metadata_url, timeout=5) as answer:
            text = answer.read().decode()
        body = re.search(r"<(?:\w+:)?X509Certificate>([^<]+)<", text)
        assert body, text
        lines = textwrap.wrap("".join(body[1].split()), 64)
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def log(self) -> list[dict[str, str]]:
        with urllib.request.urlopen(f"{self.base}/log", timeout=5) as answer:
            return list(json.load(answer))


@contextmanager
def start_idp(sp_metadata_url: str, users: dict[str, dict[str, Any]] | None = None) -> Iterator[RunningIdP]:
    """Run the IdP as its own process until the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="c2i-saml-idp-"))
    users_file = workdir / "users.json"
    users_file.write_text(json.dumps(users or USERS))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__)),
            "--port",
            str(port),
            "--users",
            str(users_file),
            "--sp-metadata",
            sp_metadata_url,
            "--workdir",
            str(workdir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/idp.xml", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(  # noqa: B904 - the process's own error says why
                        f"the SAML IdP did not start: {process.stderr.read() if process.stderr else ''}"
                    )
                time.sleep(0.1)
        else:  # pragma: no cover
            raise RuntimeError("the SAML IdP did not start")
        yield RunningIdP(base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
