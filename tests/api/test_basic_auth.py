"""HTTP Basic authentication as a client sees it."""

from __future__ import annotations

import base64

import pytest

from tests.support.factories import create_account
from tests.support.snapshots import snapshot

UNAUTHORIZED = {
    "type": "about:blank",
    "title": "Unauthorized",
    "status": 401,
    "detail": "Valid HTTP Basic credentials are required.",
}


def _raw(value: str) -> dict[str, str]:
    return {"Authorization": value}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + _b64(b"no-colon-here"),
        "Basic " + _b64(b":"),
        "Basic " + _b64(b"\xff\xfe:\xff"),  # not UTF-8
        "Bearer abc.def.ghi",
        "Digest username=x",
        "garbage",
    ],
)
def test_malformed_authorization_is_401(api, header):
    account = create_account(api)
    response = api.get(f"/v1/user/{account.id}", headers=_raw(header))
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == 'Basic realm="inventory"'


def test_scheme_name_is_case_insensitive(api):
    account = create_account(api)
    token = _b64(f"{account.username}:{account.password}".encode())
    for scheme in ("basic", "BASIC", "bAsIc"):
        response = api.get(f"/v1/user/{account.id}", headers=_raw(f"{scheme} {token}"))
        assert response.status_code == 200, scheme


def test_wrong_password_and_unknown_user_get_the_same_401(api):
    account = create_account(api)
    wrong = api.get(
        f"/v1/user/{account.id}",
        headers=_raw("Basic " + _b64(f"{account.username}:wrong-password".encode())),
    )
    unknown = api.get(
        f"/v1/user/{account.id}",
        headers=_raw("Basic " + _b64(b"nobody@example.com:wrong-password")),
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.data == unknown.data
    assert wrong.json == UNAUTHORIZED


def test_password_with_colons_and_commas(api):
    account = create_account(api, password="a:b:c,d,e:::")
    response = api.get(f"/v1/user/{account.id}", headers=account.auth)
    assert response.status_code == 200


def test_password_is_checked_against_the_full_value(api):
    account = create_account(api, password="prefix-password")
    truncated = "Basic " + _b64(f"{account.username}:prefix-passwor".encode())
    longer = "Basic " + _b64(f"{account.username}:prefix-password!".encode())
    assert api.get(f"/v1/user/{account.id}", headers=_raw(truncated)).status_code == 401
    assert api.get(f"/v1/user/{account.id}", headers=_raw(longer)).status_code == 401


def test_73_byte_password_in_header_is_401_not_500(api):
    account = create_account(api, password="x" * 72)
    header = "Basic " + _b64(f"{account.username}:{'x' * 73}".encode())
    assert api.get(f"/v1/user/{account.id}", headers=_raw(header)).status_code == 401


def test_huge_username_in_header_is_401(api):
    header = "Basic " + _b64(("u" * 5000 + "@example.com:password").encode())
    assert api.post("/v1/product", json={}, headers=_raw(header)).status_code == 401


# ---------------------------------------------------------------- strict Basic parsing
# RFC 7617: scheme "Basic" (case-insensitive), one token68 of standard base64, UTF-8.


def _token(account) -> str:
    return _b64(f"{account.username}:{account.password}".encode())


@pytest.mark.parametrize("scheme", ["Bearer", "Digest", "Token", "Basic2", "XBasic", "Bas1c"])
def test_other_schemes_are_401_even_with_valid_credentials(api, scheme):
    account = create_account(api)
    response = api.get(f"/v1/user/{account.id}", headers=_raw(f"{scheme} {_token(account)}"))
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED


def test_unicode_lookalike_scheme_name_is_401(api):
    # U+017F (long s) matches "s" in a Unicode case-insensitive regex.
    account = create_account(api)
    response = api.get(f"/v1/user/{account.id}", headers=_raw(f"Ba\u017fic {_token(account)}"))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:4] + "!" + t[4:],  # junk inside the token
        lambda t: t[:4] + " " + t[4:],  # a space inside the token
        lambda t: t + "!!",  # junk after it
        lambda t: t.rstrip("=") or t[:-1],  # padding missing
        lambda t: t + "====",  # excess padding
        lambda t: t + "\t" + t,  # a second token
    ],
    ids=["junk-inside", "space-inside", "junk-after", "no-padding", "excess-padding", "two"],
)
def test_non_strict_base64_is_401(api, mangle):
    # "padding.case@example.com:padding-pass-12" is 40 bytes: its token ends in "==".
    account = create_account(api, username="padding.case@example.com", password="padding-pass-12")
    token = _token(account)
    assert token.endswith("=")
    response = api.get(f"/v1/user/{account.id}", headers=_raw(f"Basic {mangle(token)}"))
    assert response.status_code == 401


def test_non_canonical_base64_is_401(api):
    # "YQ==" is "a"; "YR==" decodes to "a" too (the unused low bits are set): not canonical.
    account = create_account(api, username="padding.case@example.com", password="padding-pass-12")
    token = _token(account)
    last = token.rstrip("=")[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = alphabet[alphabet.index(last) + 1]  # same high bits, a low bit set
    forged = token.rstrip("=")[:-1] + twin + "=" * token.count("=")
    assert base64.b64decode(forged) == base64.b64decode(token)
    response = api.get(f"/v1/user/{account.id}", headers=_raw(f"Basic {forged}"))
    assert response.status_code == 401


def test_url_safe_base64_is_401(api):
    # A password chosen so that standard base64 of "user:password" contains "+" or "/".
    account = create_account(api, username="url.safe@example.com", password="?>?>?>?>?>?>")
    token = _token(account)
    assert "+" in token or "/" in token
    url_safe = token.replace("+", "-").replace("/", "_")
    response = api.get(f"/v1/user/{account.id}", headers=_raw(f"Basic {url_safe}"))
    assert response.status_code == 401


def test_latin1_credentials_are_not_retried_as_latin1(api):
    account = create_account(api, password="pässwörd-123")
    latin1 = base64.b64encode(f"{account.username}:{account.password}".encode("latin-1")).decode()
    assert api.get(f"/v1/user/{account.id}", headers=_raw(f"Basic {latin1}")).status_code == 401
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200  # UTF-8


def test_whitespace_around_the_header_value_is_fine(api):
    account = create_account(api)
    for header in (f"Basic  {_token(account)}", f"  Basic {_token(account)} "):
        assert api.get(f"/v1/user/{account.id}", headers=_raw(header)).status_code == 200


@pytest.mark.parametrize("order", ["valid-valid", "valid-other", "junk-valid", "valid-junk"])
def test_two_authorization_headers_are_401(api, order):
    account, other = create_account(api), create_account(api)
    values = {
        "valid-valid": [account.auth, account.auth],
        "valid-other": [account.auth, other.auth],
        "junk-valid": [_raw("Basic !!"), account.auth],
        "valid-junk": [account.auth, _raw("Basic !!")],
    }[order]
    headers = [("Authorization", v["Authorization"]) for v in values]
    response = api.get(f"/v1/user/{account.id}", headers=headers)
    assert response.status_code == 401
    assert response.json == UNAUTHORIZED


def _event_with_headers(api, account, multi_value_headers):
    from werkzeug.datastructures import Headers

    from tests.support.transport import make_v1_event

    event = make_v1_event(method="GET", path=f"/v1/user/{account.id}", headers=Headers())
    event["multiValueHeaders"].update(multi_value_headers)
    event["headers"].update({k: v[-1] for k, v in multi_value_headers.items()})
    return event


@pytest.mark.parametrize("transport", ["apigw_v1"])
def test_repeated_authorization_in_multi_value_headers_is_401(app, transport):
    # API Gateway REST delivers repeated headers as lists in multiValueHeaders, and keeps
    # the client's spelling of the name: "Authorization" and "authorization" are two keys.
    from tests.support.transport import ApiClient

    api = ApiClient(app, transport)
    account, other = create_account(api), create_account(api)
    cases = [
        {"Authorization": [account.auth["Authorization"], other.auth["Authorization"]]},
        {"Authorization": [other.auth["Authorization"]],
         "authorization": [account.auth["Authorization"]]},
        {"authorization": [account.auth["Authorization"]],
         "AUTHORIZATION": [account.auth["Authorization"]]},
    ]  # fmt: skip
    for multi in cases:
        response = api.invoke(_event_with_headers(api, account, multi))
        assert response.status_code == 401, multi
        assert response.json == UNAUTHORIZED
    # One header, whatever its spelling, still works.
    single = {"authorization": [account.auth["Authorization"]]}
    assert api.invoke(_event_with_headers(api, account, single)).status_code == 200


def test_repeated_authorization_in_http_api_v2_is_401(app):
    # HTTP API (payload 2.0) joins repeated headers with commas into one value.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    from werkzeug.datastructures import Headers

    from tests.support.transport import ApiClient, make_v2_event

    api = ApiClient(app, "apigw_v2")
    account = create_account(api)
    value = account.auth["Authorization"]
    event = make_v2_event(method="GET", path=f"/v1/user/{account.id}", headers=Headers())
    event["headers"]["authorization"] = f"{value},{value}"
    assert api.invoke(event).status_code == 401
    event["headers"]["authorization"] = value
    assert api.invoke(event).status_code == 200


# ---------------------------------------------------------------- NUL in passwords
# bcrypt stops at the first NUL byte: "\0" * 8 would hash like "" and any run of NULs
# would log in. Registration, password changes and logins refuse NUL.


@pytest.mark.parametrize("password", ["\0" * 8, "password\0", "\0password-suffix"])
def test_password_with_nul_is_refused_at_registration(api, app, password):
    from tests.support.factories import user_payload

    before = snapshot(app)
    response = api.post("/v1/user", json=user_payload(password=password))
    assert response.status_code == 400
    assert snapshot(app) == before
    assert [e["field"] for e in response.json["errors"]] == ["password"]
    assert "NUL" in response.json["errors"][0]["message"]


def test_password_with_nul_is_refused_on_update(api):
    account = create_account(api)
    body = {"password": "new-pass\0word", "first_name": "A", "last_name": "B"}
    response = api.put(f"/v1/user/{account.id}", json=body, headers=account.auth)
    assert response.status_code == 400
    assert [e["field"] for e in response.json["errors"]] == ["password"]
    assert api.get(f"/v1/user/{account.id}", headers=account.auth).status_code == 200


def test_password_with_nul_never_logs_in(api, app):
    # A hash made before the fix: bcrypt saw an empty password.
    import bcrypt
    from sqlalchemy import update

    from service.extensions import db
    from service.models import User

    account = create_account(api)
    with app.app_context():
        legacy = bcrypt.hashpw(b"\0" * 8, bcrypt.gensalt(4)).decode()
        db.session.execute(update(User).where(User.id == account.id).values(password_hash=legacy))
        db.session.commit()
    for password in ("\0" * 8, "\0", "\0" * 20):
        header = "Basic " + _b64(f"{account.username}:{password}".encode())
        assert api.get(f"/v1/user/{account.id}", headers=_raw(header)).status_code == 401


def test_openapi_says_passwords_cannot_contain_nul(api):
    schemas = api.get("/v1/openapi.json").json["components"]["schemas"]
    for model in ("UserCreate", "UserUpdate"):
        password = schemas[model]["properties"]["password"]
        assert "NUL" in password["description"]


# ---------------------------------------------------------------- look-alike usernames
# Registration accepts ASCII e-mail addresses only; logins match them case-insensitively
# in ASCII and nothing else: no Unicode case folding, no stripping.


@pytest.mark.parametrize(
    ("registered", "presented"),
    [
        ("kelvin@example.com", "\u212aelvin@example.com"),  # KELVIN SIGN folds to "k"
        ("sam@example.com", "\u017fam@example.com"),  # LATIN SMALL LETTER LONG S folds to "s"
        ("fish@example.com", "\ufb01sh@example.com"),  # LIGATURE FI folds to "fi"
        ("ross@example.com", "ro\u00df@example.com"),  # SHARP S folds to "ss"
        ("strip@example.com", "\x1cstrip@example.com"),
        ("strip@example.com", "strip@example.com\x1f"),
        ("strip@example.com", "strip@example.com\u3000"),  # IDEOGRAPHIC SPACE
        ("strip@example.com", " strip@example.com "),
        ("istanbul@example.com", "\u0130stanbul@example.com"),  # DOTTED CAPITAL I lowers to "i̇"
    ],
)
def test_lookalike_usernames_do_not_log_in(api, registered, presented):
    account = create_account(api, username=registered)
    header = "Basic " + _b64(f"{presented}:{account.password}".encode())
    assert api.get(f"/v1/user/{account.id}", headers=_raw(header)).status_code == 401


def test_usernames_match_case_insensitively_in_ascii(api):
    account = create_account(api, username="Mixed.Case@Example.COM")
    for presented in ("mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM"):
        header = "Basic " + _b64(f"{presented}:{account.password}".encode())
        assert api.get(f"/v1/user/{account.id}", headers=_raw(header)).status_code == 200
