"""Opinion maps recomputed in the lease holder: a sweep every few seconds (a job of the runtime's one job queue)
recomputes each round that a moderator asked for, and each open round with new votes at most once a minute
(bot/domain/opinion_results.py EVERY). The analysis (numpy, scikit-learn, about 0.2 s for 2,000 people) runs here
and in the operators' CLI only, never in a web worker; everyone else reads the stored map.
"""
from __future__ import annotations

import logging
import time

from bot.domain import opinion_results
from bot.logs import event as log_event

log = logging.getLogger(__name__)


def recompute_due(store, every: float = opinion_results.EVERY) -> list[int]:
    """Recompute every round that is due; their ids. One failing round is logged and does not stop the others."""
    done = []
    for round_id in opinion_results.due(store.conn, time.time(), every):
        try:
            result = opinion_results.recompute(store, round_id)
        except Exception:
            log.exception("opinions.recompute_failed")
            continue
        done.append(round_id)
        log_event(log, "opinions.recomputed", round=round_id, status=result["status"], votes=result["votes"],
                  groups=len(result["groups"]), seconds=round(result["seconds"], 3))
    return done


class OpinionMaps:
    sweep = 2.0  # seconds between looks: a moderator's "recompute now" is answered within about this

    def __init__(self, runtime):
        self.runtime = runtime

    def start(self) -> None:
        self.runtime.jobs.run_repeating(recompute_due, self.sweep, "opinion-maps", args=(self.runtime.store,))

    def stop(self) -> None:
        self.runtime.jobs.remove("opinion-maps")


def register(bot) -> None:
    bot.services.append(OpinionMaps(bot))
