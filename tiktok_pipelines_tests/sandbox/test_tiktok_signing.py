"""The emulator's own signing, checked against the reference's vectors (§1 and §4) independently of the
project's client, and kept independent of it: no emulator module imports a client."""

import ast
from pathlib import Path

from tiktok_pipelines.sandbox.tiktok_shop.signing import (
    request_signature,
    string_to_sign,
    webhook_authorization,
)

SANDBOX = Path(__file__).resolve().parents[2] / "tiktok_pipelines" / "sandbox"
JSON = "application/json"


def test_vector_1_authorization_shops():
    params = [("app_key", "29a39d"), ("timestamp", "1623812664")]
    assert (
        string_to_sign("/authorization/202309/shops", params, None, JSON, "e59af819cc")
        == "e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc"
    )
    assert (
        request_signature("/authorization/202309/shops", params, None, JSON, "e59af819cc")
        == "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    )


def test_vector_2_plain_query():
    assert (
        request_signature("/test-api", [("foo", "bar")], None, JSON, "app_secret")
        == "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    )


def test_vector_3_cipher_and_body_are_signed_sign_and_access_token_are_not():
    params = [
        ("timestamp", "1696909648"),
        ("shop_cipher", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"),
        ("app_key", "68xu9ks5p4i8"),
        ("sign", "anything"),
        ("access_token", "legacy"),
    ]
    body = '{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}'
    assert (
        request_signature("/event/202309/webhooks", params, body, JSON, "e59af819cc")
        == "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a"
    )
    multipart = "multipart/form-data; boundary=x"
    assert request_signature("/p", [("a", "1")], "--x\r\n", multipart, "s") == request_signature(
        "/p", [("a", "1")], None, multipart, "s"
    )


def test_webhook_vector():
    body = (
        b'{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507",'
        b'"timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178",'
        b'"order_status":"UNPAID","update_time":1718305585}}'
    )
    assert (
        webhook_authorization("abcdef", "123", body)
        == "5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05"
    )


def test_no_emulator_module_imports_a_client():
    offenders = []
    modules = sorted(SANDBOX.rglob("*.py"))
    assert any(p.parent.name == "tiktok_shop" for p in modules)  # the emulators' packages are walked too
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offenders += [
                f"{path.relative_to(SANDBOX)}: {n}"
                for n in names
                if n.startswith(("tiktok_pipelines.channels", "tiktok_pipelines.vtex"))
            ]
    assert offenders == []
