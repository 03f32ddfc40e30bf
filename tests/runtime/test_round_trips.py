"""What each request costs the database (issue 14): one statement per read on a warm
container, BEGIN + its statements + COMMIT per write, no transaction left open between
requests, and dead connections survived without a ping on every request.

Counted on MariaDB (SQLite has no round trips) by tests/support/statements.py, through
the Flask test client and through the Lambda handler.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service import connections
from service.api.lookups import _PRODUCT_ROW
from service.connections import read_rows
from service.extensions import db
from tests.support import faults, images
from tests.support.databases import admin_connection, migrated_mysql, mysql_app
from tests.support.factories import create_account, create_product, user_payload
from tests.support.statements import count_statements
from tests.support.transport import ApiClient


@pytest.fixture(scope="module")
def round_trip_db(mysql_database):
    return migrated_mysql(mysql_database, "test_rt_count")


@pytest.fixture
def app(round_trip_db, tmp_path):
    yield from mysql_app(round_trip_db, tmp_path)


@pytest.fixture(params=["flask", "apigw_v1"])
def api(request, app):
    return ApiClient(app, request.param)


def _engine(app):
    with app.app_context():
        return db.engine


def _warm(api, method, path, **kwargs):
    """Send the request twice (connection open, credential cache warm), count the third."""
    for _ in range(2):
        api.request(method, path, **kwargs)
    with count_statements(_engine(api.app)) as counts:
        response = api.request(method, path, **kwargs)
    return response, counts


def _app_thread_ids(app):
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s",
            (_engine(app).url.database,),
        )
        ids = {row[0] for row in cursor.fetchall()}
    connection.close()
    return ids


def _open_transactions(app):
    """InnoDB transactions of the app's connections (what would block the migration's DDL)."""
    threads = _app_thread_ids(app)
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX")
        open_ = {row[0] for row in cursor.fetchall()} & threads
    connection.close()
    return open_


@pytest.mark.parametrize("path", ["/healthz", "/v1/product/{product}", "/v1/user/{user}"])
def test_a_warm_read_costs_exactly_one_statement(api, path):
    owner = create_account(api)
    product = create_product(api, owner)
    url = path.format(product=product["id"], user=owner.id)
    response, counts = _warm(api, "GET", url, headers=owner.auth)
    assert response.status_code == 200
    assert counts.statements == 1, counts.queries
    assert counts.wire["ping"] == 0 and counts.transaction_control == []
    assert counts.queries[0].upper().startswith("SELECT") and counts.connects == 0


def test_image_list_costs_only_its_own_selects(api):
    owner = create_account(api)
    product = create_product(api, owner)
    for n in range(2):
        files = {"image": (io.BytesIO(images.png()), f"{n}.png")}
        api.post(f"/v1/product/{product['id']}/image", data=files, headers=owner.auth)
    response, counts = _warm(api, "GET", f"/v1/product/{product['id']}/image", headers=owner.auth)
    assert response.status_code == 200 and len(response.json) == 2
    # the caller, then the product joined with its images: no ping, no BEGIN, no ROLLBACK
    assert len(counts.queries) == 2 and counts.wire["ping"] == 0
    assert counts.connects == 0  # both reads took the one pooled connection in turn
    assert all(q.upper().startswith("SELECT") for q in counts.queries), counts.queries


def test_a_write_costs_begin_its_statements_and_commit(api):
    owner = create_account(api)
    product = create_product(api, owner)
    url = f"/v1/product/{product['id']}"
    response, counts = _warm(api, "PATCH", url, json={"quantity": 3}, headers=owner.auth)
    assert response.status_code == 204
    # the caller and the product are read outside the transaction; then BEGIN, UPDATE, COMMIT
    verbs = [q.split()[0].upper() for q in counts.queries]
    assert verbs == ["SELECT", "SELECT", "BEGIN", "UPDATE", "COMMIT"], counts.queries
    # the reads returned the pooled connection before the transaction took it: no second one
    assert counts.wire["ping"] == 0 and counts.connects == 0


def test_a_created_resource_is_not_read_back(api):
    owner = create_account(api)
    create_product(api, owner)
    with count_statements(_engine(api.app)) as counts:
        response = api.post("/v1/user", json=user_payload())
    assert response.status_code == 201
    assert [q.split()[0].upper() for q in counts.queries] == ["BEGIN", "INSERT", "COMMIT"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/product/{product}", None, 200),
        ("GET", "/v1/product/999999", None, 404),
        ("PATCH", "/v1/product/{product}", {"quantity": 4}, 204),
        ("PATCH", "/v1/product/{product}", {"sku": "{taken}"}, 409),
        ("POST", "/v1/user", "new", 201),
        ("DELETE", "/v1/product/{product}", None, 204),
    ],
)
def test_no_transaction_stays_open_between_requests(api, method, path, body, status):
    owner = create_account(api)
    product = create_product(api, owner)
    other = create_product(api, owner)
    if body == "new":
        body = user_payload()
    elif body and "sku" in body:
        body = {"sku": other["sku"]}
    response = api.request(
        method, path.format(product=product["id"]), json=body, headers=owner.auth
    )
    assert response.status_code == status, response.json
    assert _open_transactions(api.app) == set()
    # DDL (the migration job's) does not wait for a metadata lock held by the API
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION lock_wait_timeout = 2")
        cursor.execute(f"ALTER TABLE `{_engine(api.app).url.database}`.products COMMENT = ''")
    connection.close()


@pytest.mark.parametrize(
    "path", ["/v1/product/{product}", "/v1/user/{user}", "/v1/product/{product}/image"]
)
def test_a_killed_connection_costs_a_read_no_failure(api, path):
    # Core reads (GET product, the caller of an authenticated request, the image list)
    # retry like ORM reads.
    owner = create_account(api)
    product = create_product(api, owner)
    url = path.format(product=product["id"], user=owner.id)
    assert api.get(url, headers=owner.auth).status_code == 200
    for thread_id in _app_thread_ids(api.app):
        faults.kill(thread_id)
    with count_statements(_engine(api.app)) as counts:
        response = api.get(url, headers=owner.auth)
    assert response.status_code == 200
    assert counts.connects == 1  # the dead connection was replaced, not pinged first


def test_a_write_after_a_long_idle_finds_the_dead_connection_by_ping(api, monkeypatch):
    owner = create_account(api)
    assert api.get("/healthz").status_code == 200
    for thread_id in _app_thread_ids(api.app):
        faults.kill(thread_id)  # e.g. wait_timeout or a restart while the container slept
    an_hour_later = tuple(t + 3600 for t in connections.now())
    monkeypatch.setattr(connections, "now", lambda: an_hour_later)
    with count_statements(_engine(api.app)) as counts:
        response = api.post("/v1/user", json=user_payload())
    assert response.status_code == 201
    assert (counts.wire["ping"], counts.connects) == (1, 1), counts
    assert owner.id


def test_a_read_inside_a_transaction_is_not_retried(app):
    # GIVEN a transaction with a write in it
    with app.app_context():
        db.session.execute(text("UPDATE users SET first_name = first_name WHERE id = 0"))
        thread_ids = _app_thread_ids(app)
        for thread_id in thread_ids:
            faults.kill(thread_id)
        # THEN a read in it fails instead of silently continuing without the write
        with pytest.raises(DBAPIError) as raised:
            db.session.execute(text("SELECT 1"))
        assert raised.value.connection_invalidated
        db.session.rollback()


def test_a_core_read_in_a_begun_session_sees_its_writes_and_is_not_retried(api):
    # A Core read (read_rows) normally checks out a connection of its own; inside a
    # request's transaction it must run on that transaction's connection instead.
    owner = create_account(api)
    product = create_product(api, owner)
    parameters = {"product_id": product["id"]}
    with api.app.app_context():
        db.session.execute(
            text("UPDATE products SET quantity = 77 WHERE id = :id"), {"id": product["id"]}
        )
        assert read_rows(db.session, db.engine, _PRODUCT_ROW, parameters)[0].quantity == 77
        for thread_id in _app_thread_ids(api.app):
            faults.kill(thread_id)
        with pytest.raises(DBAPIError) as raised:
            read_rows(db.session, db.engine, _PRODUCT_ROW, parameters)
        assert raised.value.connection_invalidated
        db.session.rollback()
    assert api.get(f"/v1/product/{product['id']}").json["quantity"] == product["quantity"]
