"""Login attempts are rate-limited per client and per identifier, answering 429; with
Redis configured the limits are shared by every worker."""

from __future__ import annotations

import pytest

from iok_saas import create_app

from ..services import worker_redis


def limited_app(database_url, tmp_path, storage="memory://"):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "IOK_VAR_DIR": tmp_path,
                       "RATELIMIT_STORAGE_URI": storage, "IOK_TENANT_CACHE_SECONDS": 3600})


def hammer(app, login, times, client_ip="10.0.0.1"):
    client = app.test_client()
    return [client.post("/logowanie", data={"login": login, "password": "wrong"},
                        base_url="http://gdynia.localhost",
                        environ_base={"REMOTE_ADDR": client_ip}).status_code
            for _ in range(times)]


def test_one_identifier_gets_429_after_ten_tries_a_minute(synced, database_url, tmp_path):
    codes = hammer(limited_app(database_url, tmp_path), "123456", 11)
    assert codes[:10] == [200] * 10
    assert codes[10] == 429


def test_each_app_keeps_its_own_limits_setting(synced, database_url, tmp_path):
    """One process, two apps (as gunicorn's preload or a test run has): creating an app
    with limits off leaves the first one limited, and the other way round."""
    limited = limited_app(database_url, tmp_path)
    unlimited = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                            "WTF_CSRF_ENABLED": False, "IOK_VAR_DIR": tmp_path,
                            "RATELIMIT_ENABLED": False})
    assert hammer(limited, "333333", 11)[10] == 429
    assert hammer(unlimited, "444444", 11) == [200] * 11


def test_the_identifier_limit_holds_across_client_addresses(synced, database_url, tmp_path):
    app = limited_app(database_url, tmp_path)
    codes = [hammer(app, "654321", 1, client_ip=f"10.0.1.{i}")[0] for i in range(11)]
    assert codes[-1] == 429


def test_the_429_page_is_polish_and_branded(synced, database_url, tmp_path):
    app = limited_app(database_url, tmp_path)
    hammer(app, "111111", 10)
    page = app.test_client().post("/logowanie", data={"login": "111111", "password": "x"},
                                  base_url="http://gdynia.localhost",
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert page.status_code == 429
    assert "Zbyt wiele prób" in page.get_data(as_text=True)


@pytest.mark.redis
def test_limits_are_shared_through_redis(synced, database_url, tmp_path):
    import redis

    url = worker_redis()
    redis.Redis.from_url(url).flushdb()
    first_worker = limited_app(database_url, tmp_path, storage=url)
    second_worker = limited_app(database_url, tmp_path, storage=url)
    assert hammer(first_worker, "222222", 10) == [200] * 10
    assert hammer(second_worker, "222222", 1) == [429]
    assert redis.Redis.from_url(url).keys("LIMITS*")
