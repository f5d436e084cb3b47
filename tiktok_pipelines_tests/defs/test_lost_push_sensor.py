"""`shopee_lost_push_sensor` without Shopee's partner app configured: a skipped tick that says what is
missing, never an error."""

import dagster as dg

from tiktok_pipelines.defs.events.lost_pushes import shopee_lost_push_sensor


def test_without_the_partner_app_the_tick_skips_naming_what_is_missing(resources, instance):
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = shopee_lost_push_sensor(context)
    assert "Shopee is not configured" in result.skip_reason.skip_message
    assert "SHOPEE_PARTNER_ID" in result.skip_reason.skip_message
