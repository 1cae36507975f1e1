"""The frozen app's entry point (PyInstaller runs this file, not main.py).

In a frozen app `sys.executable` is the app itself, so the built-in sandbox's child process is
started as `room-moderator --run-sandbox ...`. That child must not pay for PySide6 and the window's
modules it never uses, so the flag is recognised here, before `moderator.ui.app` is imported.
"""

import sys


def _run() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--run-sandbox":
        from moderator.sandbox.__main__ import main as sandbox_main

        return sandbox_main(sys.argv[2:])
    from moderator.ui.app import main

    return main()


if __name__ == "__main__":
    sys.exit(_run())
