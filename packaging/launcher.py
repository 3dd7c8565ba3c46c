"""The frozen app's entry point: the same `synkimeter` command as `pip install` gives
(pyproject's `synkimeter = "synkimeter.cli:main"`)."""

import multiprocessing

if __name__ == "__main__":
    # `synkimeter batch --jobs N` starts worker processes with "spawn": in a frozen app each worker
    # is this executable again, and freeze_support() turns it into the worker instead of the CLI.
    multiprocessing.freeze_support()
    from synkimeter.cli import main

    raise SystemExit(main())
