"""What shtab completes a path argument with, without importing shtab.

shtab imports :mod:`importlib.metadata` (tens of milliseconds), which ``jcds2 --version`` and
``--help`` should not pay for; shtab itself is imported only by ``jcds2 completion``. These are
copies of ``shtab.FILE`` and ``shtab.DIRECTORY``; a unit test keeps them equal.
"""

from typing import Final

FILE: Final = {
    "bash": "_shtab_compgen_files",
    "zsh": "_files",
    "tcsh": "f",
    "fish": "(__fish_complete_path (commandline -ct))",
    "powershell": "_shtab_powershell_compgen_files",
}
DIRECTORY: Final = {
    "bash": "_shtab_compgen_dirs",
    "zsh": "_files -/",
    "tcsh": "d",
    "fish": "(__fish_complete_directories)",
    "powershell": "_shtab_powershell_compgen_dirs",
}
