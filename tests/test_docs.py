"""The documentation names the options the binary has.

`sitecheck --help` is generated from the options table, so it is the
reference: the man page sitecheck.1 must describe exactly its long
options, and README.md must not name a long option it does not list.
The subcommands' own options (`serve --listen`, `watch --every`, ...) are
allowed where they are named, read from their own --help."""

import os
import re

from conftest import ROOT, run

MAN = os.path.join(ROOT, "sitecheck.1")
README = os.path.join(ROOT, "README.md")

LONG_OPT = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
# An option's line in `sitecheck --help`: "  -c, --concurrency N" or
# "      --dedup" (its help text is indented much further).
HELP_LABEL = re.compile(r"^  (?:-\S, |    )--([a-z][a-z0-9-]*)", re.M)
SHORT_OPT = re.compile(r"(?<![\w-])-([A-Za-z0-9])(?![\w-])")
HELP_SHORT = re.compile(r"^  -(\S)(?:, | )", re.M)


def help_text(*subcommand):
    res = run(*subcommand, "--help")
    assert res.rc == 0, res.err
    return res.out


def help_options():
    """The long options `sitecheck --help` lists (without the dashes)."""
    opts = set(HELP_LABEL.findall(help_text()))
    assert {"concurrency", "timeout", "help", "version"} <= opts, opts
    return opts


def subcommand_options():
    """Long options of `sitecheck serve`, `demo`, `report` and `watch`,
    from their own --help."""
    opts = set()
    for sub in ("serve", "demo", "report", "watch"):
        found = set(LONG_OPT.findall(help_text(sub)))
        assert found, f"sitecheck {sub} --help names no option"
        opts |= found
    return opts


def man_plain(text):
    """roff source with \\- as - and font escapes (\\fB, \\fR...) dropped."""
    return re.sub(r"\\f[BIRP]", "", text.replace("\\-", "-"))


def man_option_entries(pattern=LONG_OPT):
    """The long options (or with SHORT_OPT, the short ones) of the OPTIONS
    section's entries: the tag lines after each .TP."""
    with open(MAN) as f:
        lines = f.read().split("\n")
    start = lines.index(".SH OPTIONS")
    end = next(i for i in range(start + 1, len(lines))
               if lines[i].startswith(".SH "))
    opts = set()
    for i in range(start, end - 1):
        if lines[i] == ".TP":
            opts |= set(pattern.findall(man_plain(lines[i + 1])))
    return opts


def readme_mentions():
    """Long options README.md names: in `code spans`, in table rows and
    in command lines of code blocks. Returns {option: first line no.}."""
    found = {}
    with open(README) as f:
        for no, line in enumerate(f, 1):
            parts = re.findall(r"`([^`\n]+)`", line)
            if line.lstrip().startswith("|"):
                parts.append(line)
            if re.match(r"\s{4}(\$ )?sitecheck\b", line):
                parts.append(line)
            for part in parts:
                for opt in LONG_OPT.findall(part):
                    found.setdefault(opt, no)
    return found


def test_man_page_lists_the_options_of_help():
    in_help, in_man = help_options(), man_option_entries()
    assert in_help - in_man == set(), \
        f"in --help but not in sitecheck.1's OPTIONS: {sorted(in_help - in_man)}"
    assert in_man - in_help == set(), \
        f"in sitecheck.1's OPTIONS but not in --help: {sorted(in_man - in_help)}"


def test_man_page_lists_the_short_options_of_help():
    in_help = set(HELP_SHORT.findall(help_text()))
    in_man = man_option_entries(SHORT_OPT)
    assert {"c", "4", "6", "V"} <= in_help, in_help
    assert in_help == in_man, \
        f"only in --help: {sorted(in_help - in_man)}; " \
        f"only in sitecheck.1: {sorted(in_man - in_help)}"


def test_man_page_names_no_unknown_option():
    with open(MAN) as f:
        named = set(LONG_OPT.findall(man_plain(f.read())))
    unknown = named - help_options() - subcommand_options()
    assert unknown == set(), f"sitecheck.1 names unknown options: {unknown}"


def test_readme_names_no_unknown_option():
    known = help_options() | subcommand_options()
    unknown = {f"--{o}": no for o, no in readme_mentions().items()
               if o not in known}
    assert unknown == {}, \
        f"README.md names options --help does not list (line numbers): {unknown}"


def test_the_checks_see_what_they_check():
    """The parsers above find what they must: if a format changed under
    them, the other tests would pass on nothing."""
    assert len(man_option_entries()) >= 25
    mentions = readme_mentions()
    assert {"fail-on", "format", "per-host"} <= set(mentions), mentions
    assert {"listen", "tls", "scale", "sites"} <= subcommand_options()
