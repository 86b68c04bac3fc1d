"""Entry script of the frozen app (build.spec): `annotator.cli.main` behind freeze_support.

`multiprocessing.freeze_support()` must run first: `annotator suggest --workers N` may start
worker processes that re-run this executable (spawn: Windows), which must then become
workers instead of starting the command line again.

With ANNOTATOR_STARTUP_PROBE=1 in the environment, the window reports how long it took to
become usable and quits (see annotator.selfcheck.install_startup_probe). The script also
runs from source: `python packaging/launch.py gui --db X`.
"""

import time

T0 = time.perf_counter()

if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()

    import os

    if os.environ.get("ANNOTATOR_STARTUP_PROBE"):
        from annotator.selfcheck import install_startup_probe

        install_startup_probe(T0)

    from annotator.cli import main

    main()
