"""The notifications area: the sender, failed-run notices, the day's sales total and the outbox's check
(docs/notifications.md)."""

import dagster as dg

from tiktok_pipelines.defs.notifications.assets import notification_outbox, notifications_job
from tiktok_pipelines.defs.notifications.daily_sales import (
    daily_sales_job,
    daily_sales_notification,
    daily_sales_schedule,
)
from tiktok_pipelines.defs.notifications.sensors import (
    check_failure_notice_sensor,
    notification_sender_sensor,
    run_failure_notice_sensor,
)

defs = dg.Definitions(
    assets=[notification_outbox, daily_sales_notification],
    jobs=[notifications_job, daily_sales_job],
    schedules=[daily_sales_schedule],
    sensors=[notification_sender_sensor, run_failure_notice_sensor, check_failure_notice_sensor],
)
