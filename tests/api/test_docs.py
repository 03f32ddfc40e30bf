"""The docs page: Swagger UI served from the package itself, so it works offline.

The browser tests run Debian's Chromium against a real local server that serves the
app under a /prod prefix (as API Gateway's stage does), with every host name but
loopback made unresolvable: the page must render from loopback alone.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from service import create_app
from service.openapi import openapi_document

ASSET = re.compile(r'(?:href|src)="(docs/[\w.-]+)\?v=(\w+)"\s+integrity="(sha384-[^"]+)"')
# Debian's package is `chromium`; GitHub's Ubuntu runners have `chromium` (a Chromium
# snapshot) and `google-chrome`; on Ubuntu `chromium-browser` may be a snap stub that
# only prints how to install the snap, hence the --version check.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# From the machine notes: without the background-networking flags Chromium tries to
# reach Google's hosts at every start.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Any host name (a CDN's) fails to resolve; only the loopback server answers.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # Run the page's scripts and fetches to completion before dumping the DOM.
    "--virtual-time-budget=30000",
)


@pytest.fixture(scope="session")
def chromium() -> str:
    """A browser that starts; skipped without one, except in CI (GitHub sets CI=true;
    .ci/run installs Debian's chromium first), where a missing browser is a failure."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path and subprocess.run([path, "--version"], capture_output=True).returncode == 0:
            return path
    message = f"no browser ({', '.join(BROWSERS)}) to render the docs page"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message + " (Debian: apt-get install -y chromium)")


def _assets(page: str) -> list[tuple[str, str, str]]:
    return ASSET.findall(page)


def test_docs_page_links_the_document_without_javascript(api):
    response = api.get("/docs")
    # The fallback sits inside the element Swagger UI replaces: visible until it runs.
    container = re.search(r'<div id="swagger-ui">(.*?)</div>', response.text, re.DOTALL)
    assert container and '<a href="v1/openapi.json">' in container[1]
    assert response.headers["Cache-Control"] == "no-cache"
    assert "//" not in "".join(url for url, _, _ in _assets(response.text))  # no CDN


def test_docs_assets_come_from_the_package_with_caching_headers(api):
    assets = _assets(api.get("/docs").text)
    assert {url for url, _, _ in assets} == {
        "docs/swagger-ui-bundle.min.js",
        "docs/swagger-ui.min.css",
    }
    for url, version, integrity in assets:
        response = api.get(f"/{url}?v={version}")
        assert response.status_code == 200
        assert response.content_type.startswith(("text/javascript", "text/css"))
        digest = base64.b64encode(hashlib.sha384(response.data).digest()).decode()
        assert integrity == f"sha384-{digest}"  # exactly the bytes the page pins
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["ETag"]


def test_unversioned_asset_urls_are_revalidated(api):
    response = api.get("/docs/swagger-ui.min.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    again = api.get("/docs/swagger-ui.min.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_docs_file_is_404_problem(api):
    response = api.get("/docs/swagger-initializer.js")
    assert response.status_code == 404
    assert response.json == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no documentation file named 'swagger-initializer.js'.",
    }


@pytest.fixture
def stage_server(tmp_path):
    """The app on a real loopback server under /prod; records paths, can refuse some."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "IMAGES_DIR": str(tmp_path / "images")}
    )
    requested: list[str] = []
    refused: set[str] = set()

    def gateway(environ, start_response):
        path = environ["PATH_INFO"]
        requested.append(path)
        if path in refused or not path.startswith("/prod/"):
            return Response("refused", 404)(environ, start_response)
        environ["SCRIPT_NAME"], environ["PATH_INFO"] = "/prod", path.removeprefix("/prod")
        return app.wsgi_app(environ, start_response)

    server = make_server("127.0.0.1", 0, gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.requested, server.refused = requested, refused
    server.url = f"http://127.0.0.1:{server.port}/prod"
    yield server
    server.shutdown()
    thread.join()


def _rendered(chromium: str, url: str, profile) -> str:
    """The page's DOM after its scripts ran, from a headless Chromium."""
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


@pytest.mark.slow  # a browser process
def test_docs_page_renders_every_operation_offline_under_a_stage(chromium, stage_server, tmp_path):
    dom = _rendered(chromium, f"{stage_server.url}/docs", tmp_path / "profile")

    operation_ids = {
        operation["operationId"]
        for item in openapi_document()["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }
    rendered = set(re.findall(r'id="operations-default-(\w+)"', dom))
    assert rendered == operation_ids
    # Everything came from the loopback server, under the stage prefix.
    assert {"/prod/docs/swagger-ui-bundle.min.js", "/prod/docs/swagger-ui.min.css"} <= set(
        stage_server.requested
    )
    assert "/prod/v1/openapi.json" in stage_server.requested


@pytest.mark.slow  # a browser process
def test_docs_page_falls_back_to_the_document_link_when_swagger_ui_cannot_load(
    chromium, stage_server, tmp_path
):
    stage_server.refused.add("/prod/docs/swagger-ui-bundle.min.js")

    dom = _rendered(chromium, f"{stage_server.url}/docs", tmp_path / "profile")

    assert '<a href="v1/openapi.json">v1/openapi.json</a>' in dom
    assert 'id="operations-' not in dom
