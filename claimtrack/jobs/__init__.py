"""Background jobs: document ingest and full conflict rebuilds, run by a queue, recorded in the database.

`records` creates jobs and moves them through their states; `tasks` is the work each kind
does; `queues` hands job ids to whoever runs them: RQ workers on Redis (`claimtrack worker`),
a thread inside the app when no Redis is configured, or the caller itself (the CLI, tests).
"""
from .queues import InlineQueue, JobQueue, RedisQueue, ThreadQueue, make_queue
from .records import describe, new_conflicts_job, new_ingest_job, queued_conflicts_job, visible_jobs
from .tasks import run

__all__ = ["InlineQueue", "JobQueue", "RedisQueue", "ThreadQueue", "describe", "make_queue", "new_conflicts_job", "queued_conflicts_job",
           "new_ingest_job", "run", "visible_jobs"]
