# A man page made from a program's --help, at build time, so the two cannot
# drift: the first paragraph of the help (the usage lines) is the SYNOPSIS,
# the rest the DESCRIPTION, both as the program prints them.
#   cmake -DCMD="exe|--esptool|--help" -DNAME=esptool -DSUMMARY="..."
#         -DVERSION=0.2.0 -DSEE_ALSO="a(1), b(1)" -DOUT=esptool.1 [-DGZIP=ON]
#         -P help2man.cmake
# GZIP: compress OUT to OUT.gz (gzip -9n: no name or time stamp, so the
# same text makes the same file), as Debian installs man pages.
# CMD separates its words with '|' (an emulator may come first: qemu for a
# cross build).
string(REPLACE "|" ";" cmd "${CMD}")
execute_process(COMMAND ${cmd} OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR help STREQUAL "")
  message(FATAL_ERROR "${CMD}: exit status ${rc}, no help text to make ${OUT} from")
endif()

# roff: a backslash is \e, a line must not start with a control character.
function(roff_lines text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

string(FIND "${help}" "\n\n" cut)
if(cut LESS 0)
  set(synopsis "${help}")
  set(description "")
else()
  string(SUBSTRING "${help}" 0 ${cut} synopsis)
  math(EXPR rest "${cut} + 2")
  string(SUBSTRING "${help}" ${rest} -1 description)
endif()
roff_lines("${synopsis}" synopsis)
roff_lines("${description}" description)
string(TOUPPER "${NAME}" upper)

file(WRITE "${OUT}" ".TH ${upper} 1 \"\" \"mp-image-tool-esp32 ${VERSION}\" \"User Commands\"
.SH NAME
${NAME} \\- ${SUMMARY}
.SH SYNOPSIS
.nf
${synopsis}
.fi
.SH DESCRIPTION
.nf
${description}
.fi
.SH SEE ALSO
${SEE_ALSO}
.PP
The README of mp-image-tool-esp32 describes every option with examples.
")
if(GZIP)
  execute_process(COMMAND gzip -9nf "${OUT}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${OUT}: exit status ${rc}")
  endif()
endif()
