#!/usr/bin/env bash
# Writes the man pages of dps, dpsctl, dps-device and dps-bench into OUT_DIR (man1 format) from
# the binaries' own --help and --version, through Debian's help2man: one page per tool, and one
# per dpsctl command (dpsctl-hubs.1, ...) with a link per alias (dpsctl-groups.1 ->
# dpsctl-enrollment-groups.1). The commands are read from `dpsctl --help`, so a new command gets
# its page without an edit here. Run by the build (cmake/man_pages.cmake):
#   scripts/man_pages.sh OUT_DIR DPS DPSCTL DPS_DEVICE DPS_BENCH
set -euo pipefail

if (($# != 5)); then
  echo "usage: $0 OUT_DIR DPS DPSCTL DPS_DEVICE DPS_BENCH" >&2
  exit 2
fi
out_dir=$1
declare -A binary=([dps]=$2 [dpsctl]=$3 [dps-device]=$4 [dps-bench]=$5)
# The NAME line of each tool's page (apropos and whatis show it).
declare -A summary=(
  [dps]="zero-touch Device Provisioning Service for OCF devices, wire-compatible with plgd's DPS"
  [dpsctl]="manage a dps through its management API"
  [dps-device]="DPS device client: provisions a simulated OCF device against a dps"
  [dps-bench]="load generator and meter for dps"
)
tools=(dps dpsctl dps-device dps-bench)
command -v help2man >/dev/null || {
  echo "man_pages.sh: help2man not found; run scripts/install-deps.sh" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# `TOOL ARGS... --help` with argv[0] set to the tool's name, so that usage lines read
# "dps-device provision", not the build path the binary was started from. CLI11 puts a single
# space between an option that fills its column and the description, where help2man looks for
# two to tell them apart: widened here (the column is where -h's description starts).
help_of() {
  local tool=$1
  shift
  (exec -a "$tool" "${binary[$tool]}" "$@" --help) |
    awk '/^  -h,--help +[^ ]/ { match($0, /^  -h,--help +/); column = RLENGTH + 1 }
         column && /^  -/ && substr($0, column - 1, 1) == " " && substr($0, column - 2, 1) != " " &&
             substr($0, column, 1) != " " && index(substr($0, 3, column - 4), "  ") == 0 {
           $0 = substr($0, 1, column - 1) " " substr($0, column)
         }
         { print }'
}

# help2man sets examples in constant width when they start with "$ ": CLI11's examples (comment
# lines, then a command, perhaps continued with a backslash) are rewritten that way, the
# comments as the text before each.
examples() {
  awk 'function flush() { if (command != "") print "\n  $ " command; command = "" }
       /^Examples:$/ { inside = 1; print; next }
       inside && /^[^ ]/ { flush(); inside = 0 }
       !inside { print; next }
       /^$/ { flush(); print; next }
       /^  # / { flush(); sub(/^  # /, ""); print; next }
       { line = $0; sub(/^ +/, "", line); command = command == "" ? line : command " " line
         if (command ~ /\\$/) sub(/ *\\$/, "", command); else flush() }
       END { flush() }'
}

# The commands listed under "Subcommands:" in a CLI11 help: one line per command, its names
# (first the primary one, then the aliases) separated by spaces.
commands_in() {
  awk '/^Subcommands:/ { listed = 1; next }
       listed && /^$/ { listed = 0 }
       listed && /^  [^ ]/ { sub(/^  /, ""); sub(/   .*/, ""); gsub(/, /, " "); print }'
}

# A command's help as a help2man sub-section: its usage line as the heading, its description,
# its options and positionals. Drops what every command repeats (-h, the global options, the
# exit codes), which the page gives once.
command_section() {
  awk '/^Global options \(/ { done = 1 }
       done { next }
       /^Usage: / { sub(/^Usage: /, ""); heading = $0 ":"; next }
       heading == "" { description = description " " $0 "\n"; next }
       /^(Options|Positionals):$/ || /^  -h,--help / { next }
       { body = body $0 "\n" }
       END { printf "%s\n%s\n%s\n", heading, description, body }'
}

# The text help2man reads for the page of `TOOL [COMMAND]`: the help, with each subcommand's own
# help under "*Commands*" (a help2man custom section) in place of the bare list, except on
# dpsctl's page, whose commands have pages of their own. "Global options (...):" and
# "Exit codes:" become sections of their own too.
page_text() {
  local tool=$1
  shift
  local help
  help=$(help_of "$tool" "$@")
  if [[ $tool == dpsctl && $# -eq 0 ]]; then
    printf '%s\n' "$help"
  else
    printf '%s\n' "$help" | awk '/^Subcommands:/ { skip = 1; next } skip && /^$/ { skip = 0 }
                                 /^Global options \(/ { done = 1 } !skip && !done { print }'
    local names
    if [[ $help == *$'\nSubcommands:'* ]]; then
      echo "*Commands*"
      while read -r names; do
        help_of "$tool" "$@" "${names%% *}" | command_section
      done < <(printf '%s\n' "$help" | commands_in)
    fi
    printf '%s\n' "$help" | awk '/^Global options \(/ { trailer = 1 } trailer { print }'
  fi | examples | sed -e 's/^Global options (\(.*\)):$/*Global options*\n\u\1./' \
    -e 's/^Exit codes:$/*Exit status*/' -e 's/^Exit codes: /*Exit status*\n/'
}

# Writes OUT_DIR/PAGE.1 from TEXT_FILE. NAMES: the page's names (aliases after the first);
# SEE_ALSO: the pages to link.
write_page() {
  local page=$1 version=$2 text_file=$3 description=$4 names=$5 see_also=$6
  local include=$work/$page.include link first=1
  {
    echo "[NAME]"
    echo "${names// /, } \\- $description"
    echo "[SEE ALSO]"
    for link in $see_also; do
      ((first)) || echo ","
      printf '.BR %s (1)' "$link"
      first=0
    done
    echo
  } >"$include"
  # help2man runs `EXECUTABLE HELP-OPTION`: the text is prepared above, so cat prints it.
  help2man --no-info --section 1 --include "$include" --source "$version" \
    --version-string "$page ${version#* }" --help-option "$text_file" \
    --output "$out_dir/$page.1" cat
}

mkdir -p "$out_dir"
# Pages of commands since removed must not linger.
rm -f "$out_dir"/*.1
mapfile -t dpsctl_commands < <(help_of dpsctl | commands_in)
dpsctl_pages=()
for names in "${dpsctl_commands[@]}"; do dpsctl_pages+=("dpsctl-${names%% *}"); done

for tool in "${tools[@]}"; do
  version=$(${binary[$tool]} --version)
  others=()
  for other in "${tools[@]}"; do [[ $other == "$tool" ]] || others+=("$other"); done
  [[ $tool == dpsctl ]] && others+=("${dpsctl_pages[@]}")
  page_text "$tool" >"$work/$tool.txt"
  write_page "$tool" "$version" "$work/$tool.txt" "${summary[$tool]}" "$tool" "${others[*]}"
done

version=$(${binary[dpsctl]} --version)
for names in "${dpsctl_commands[@]}"; do
  command=${names%% *}
  page=dpsctl-$command
  page_names=()
  for name in $names; do page_names+=("dpsctl-$name"); done
  others=(dpsctl)
  for other in "${dpsctl_pages[@]}"; do [[ $other == "$page" ]] || others+=("$other"); done
  others+=(dps)
  page_text dpsctl "$command" >"$work/$page.txt"
  # The NAME line is the command's own description, as `dpsctl --help` lists it.
  description=$(help_of dpsctl "$command" | awk 'NR == 1')
  write_page "$page" "$version" "$work/$page.txt" "${description,}" "${page_names[*]}" \
    "${others[*]}"
  for name in "${page_names[@]:1}"; do ln -sf "$page.1" "$out_dir/$name.1"; done
done
