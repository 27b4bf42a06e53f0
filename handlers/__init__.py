"""Conversation features, one module each.

Every module says in its docstring which events it takes, and exposes `register(bot)`, which adds its
handlers to `bot.dispatcher` (and, where it has any, its tables, content loaders, menu items and services).
The order of MODULES does not decide priority: handler groups do (lower first).
"""
from __future__ import annotations

from bot.domain import reports
from schedules import broadcasts as broadcast_jobs
from schedules import poll_closer
from schedules import reminders as reminder_jobs
from schedules import retention

from . import (broadcast_command, comments, fallback, faq, greeting, handover, language, live_results, media,
               message_templates, moderator_stats, privacy, registration, reminders, schedule, understanding, votes)

MODULES = (handover, language, greeting, registration, privacy, comments, schedule, reminders, reminder_jobs, votes,
           poll_closer, broadcast_jobs, broadcast_command, live_results, moderator_stats, media, faq, understanding,
           fallback, message_templates, retention, reports)


def register_all(bot) -> None:
    for module in MODULES:
        module.register(bot)
