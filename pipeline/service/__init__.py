"""Services behind the CLI: running the Luigi graph under a lock, reruns, cleaning, task logs."""
