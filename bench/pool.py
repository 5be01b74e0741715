"""The coordinator's side of the worker processes (``bench/worker.py``).

``WorkerPool.call`` sends one command to every worker and waits for all the
answers, so the workers act in parallel while the coordinator stays simple.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from typing import Any

from bench import worker


class WorkerError(RuntimeError):
    pass


class WorkerPool:
    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.connections = []
        self.processes = []
        self.sequence = 0
        for index in range(count):
            parent, child = context.Pipe()
            process = context.Process(
                target=worker.main, args=(child, index), name=f"bench-worker-{index}", daemon=True
            )
            process.start()
            child.close()
            self.connections.append(parent)
            self.processes.append(process)

    def __len__(self) -> int:
        return len(self.processes)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def call(
        self,
        command: str,
        per_worker: list[dict[str, Any]] | None = None,
        *,
        wait: float = 900.0,
        **common: Any,
    ) -> list[dict[str, Any]]:
        """Run ``command`` on every worker with ``common`` arguments, plus
        ``per_worker[i]`` for worker i; return their answers in order.

        Commands are numbered, so the late answer of a command that timed out
        is recognised and dropped instead of being taken for the next one's.
        """
        self.sequence += 1
        for index, conn in enumerate(self.connections):
            args = dict(common)
            if per_worker is not None:
                args.update(per_worker[index])
            conn.send((self.sequence, command, args))
        deadline = time.monotonic() + wait
        answers = []
        for index, conn in enumerate(self.connections):
            while True:
                while not conn.poll(0.5):
                    if not self.processes[index].is_alive():
                        code = self.processes[index].exitcode
                        raise WorkerError(f"worker {index} died during {command} (exit code {code})")
                    if time.monotonic() > deadline:
                        raise WorkerError(f"worker {index} did not answer {command} within {wait} s")
                try:
                    sequence, answer = conn.recv()
                except (EOFError, OSError) as exc:
                    raise WorkerError(f"worker {index} died during {command}") from exc
                if sequence == self.sequence:
                    break
            if "error" in answer:
                raise WorkerError(f"worker {index} failed {command}: {answer['error']}")
            answers.append(answer)
        return answers

    def close(self) -> None:
        for conn in self.connections:
            with contextlib.suppress(OSError):  # already gone
                conn.send((0, "exit", {}))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for conn in self.connections:
            conn.close()
