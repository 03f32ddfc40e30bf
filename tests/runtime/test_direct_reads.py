"""Plain reads below SQLAlchemy's Connection (service/direct_reads.py) answer exactly as
the Core path would: the same rows, the same errors, dead connections never reused.

On MariaDB (the path is PyMySQL's only); the API tests run the same reads end to end.
"""

from __future__ import annotations

import datetime as dt
import io

import pymysql
import pytest
from sqlalchemy import bindparam, column, select, table
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from service import create_app, direct_reads
from service.api.health import _ONE
from service.api.lookups import _PRODUCT_ROW, _PRODUCT_WITH_IMAGES
from service.auth import _CALLER
from service.extensions import db
from service.models import Product, username_key
from tests.support import faults, images
from tests.support.apps import make_config
from tests.support.databases import migrated_mysql, mysql_app
from tests.support.factories import create_account, create_product
from tests.support.statements import count_statements
from tests.support.transport import ApiClient


@pytest.fixture(scope="module")
def direct_db(mysql_database):
    return migrated_mysql(mysql_database, "test_direct_reads")


@pytest.fixture
def app(direct_db, tmp_path):
    yield from mysql_app(direct_db, tmp_path)


@pytest.fixture
def seeded(app):
    """An owner, a product with one image, and a product without images."""
    api = ApiClient(app, "flask")
    owner = create_account(api)
    with_image, bare = create_product(api, owner), create_product(api, owner)
    files = {"image": (io.BytesIO(images.png()), "a.png")}
    response = api.post(f"/v1/product/{with_image['id']}/image", data=files, headers=owner.auth)
    assert response.status_code == 201
    return owner, with_image, bare


def _engine(app):
    with app.app_context():
        return db.engine


def _core(engine, statement, parameters):
    with engine.connect() as connection:
        return connection.execute(statement, parameters).all()


def test_rows_equal_the_core_paths_column_by_column(app, seeded):
    owner, with_image, bare = seeded
    engine = _engine(app)
    reads = [
        (_PRODUCT_ROW, {"product_id": with_image["id"]}),
        (_PRODUCT_ROW, {"product_id": 999_999}),
        (_PRODUCT_WITH_IMAGES, {"product_id": with_image["id"]}),
        (_PRODUCT_WITH_IMAGES, {"product_id": bare["id"]}),  # one row of NULL image columns
        (_CALLER, {"username_key": username_key(owner.username)}),
        (_ONE, {}),
    ]
    for statement, parameters in reads:
        assert direct_reads.supports(statement, engine)
        direct = direct_reads.read(engine, statement, parameters)
        core = _core(engine, statement, parameters)
        assert [row._fields for row in direct] == [row._fields for row in core]
        assert [tuple(row) for row in direct] == [tuple(row) for row in core]
        for direct_row, core_row in zip(direct, core, strict=True):
            # the types' own processing ran: aware UTC datetimes, not the driver's naive ones
            assert [type(v) for v in direct_row] == [type(v) for v in core_row]
    product = direct_reads.read(engine, _PRODUCT_ROW, {"product_id": with_image["id"]})[0]
    assert product.date_added.tzinfo is dt.UTC


def test_only_pymysql_selects_take_the_direct_path(app, tmp_path):
    assert not direct_reads.supports(_PRODUCT_ROW.subquery(), _engine(app))
    sqlite = create_app(make_config(f"sqlite:///{tmp_path / 'local.db'}", tmp_path))
    assert not direct_reads.supports(_PRODUCT_ROW, _engine(sqlite))


def test_in_lists_are_refused_when_compiled(app):
    ids = select(Product.__table__.c.id).where(
        Product.__table__.c.id.in_(bindparam("ids", expanding=True))
    )
    with pytest.raises(ValueError, match="IN lists"):
        direct_reads.read(_engine(app), ids, {"ids": [1, 2]})


def test_a_server_error_is_sqlalchemys_and_the_connection_stays_pooled(app, seeded):
    engine = _engine(app)
    missing = select(column("id")).select_from(table("no_such_table"))
    direct_reads.read(engine, _ONE, {})
    with count_statements(engine) as counts:
        with pytest.raises(ProgrammingError) as raised:  # 1146: the table does not exist
            direct_reads.read(engine, missing, {})
        direct_reads.read(engine, _ONE, {})
    assert not raised.value.connection_invalidated
    assert counts.connects == 0  # the same connection answered the next read


def test_a_killed_connection_is_reported_invalidated_and_replaced(app, seeded):
    _owner, product, _bare = seeded
    engine = _engine(app)
    parameters = {"product_id": product["id"]}
    direct_reads.read(engine, _PRODUCT_ROW, parameters)
    with faults.kill_before(engine, "SELECT") as killed, pytest.raises(DBAPIError) as raised:
        direct_reads.read(engine, _PRODUCT_ROW, parameters)
    assert killed and raised.value.connection_invalidated
    assert isinstance(raised.value, OperationalError)  # the API's 503, as on the Core path
    with count_statements(engine) as counts:
        assert direct_reads.read(engine, _PRODUCT_ROW, parameters)[0].id == product["id"]
    assert counts.connects == 1


def test_a_read_interrupted_mid_reply_never_returns_its_connection(app, seeded, monkeypatch):
    engine = _engine(app)
    direct_reads.read(engine, _ONE, {})

    def interrupted(_cursor):
        raise RuntimeError("interrupted while the reply was being read")

    with monkeypatch.context() as patched:
        patched.setattr(pymysql.cursors.Cursor, "fetchall", interrupted)
        with pytest.raises(RuntimeError, match="interrupted"):
            direct_reads.read(engine, _ONE, {})
    with count_statements(engine) as counts:
        direct_reads.read(engine, _ONE, {})
    assert counts.connects == 1  # a connection in an unknown state is not reused


def test_errors_never_carry_the_parameters(app, seeded, monkeypatch):
    engine = _engine(app)
    secret = "jane.secret@example.com"

    def refused(*_args, **_kwargs):
        raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server")

    monkeypatch.setattr(engine, "raw_connection", refused)
    with pytest.raises(OperationalError) as raised:
        direct_reads.read(engine, _CALLER, {"username_key": secret})
    assert secret not in str(raised.value)
    assert "Can't connect" in str(raised.value)
