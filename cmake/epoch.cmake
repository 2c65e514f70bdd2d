# bpfport_epoch(VAR SOURCE): the time stamp every file of a release artifact
# carries (cmake/release.cmake, cmake/packages.cmake): SOURCE_DATE_EPOCH
# from the environment, else the last commit's time in SOURCE, else a fixed
# one (1980-01-01, outside git).
function(bpfport_epoch VAR SOURCE)
  if(DEFINED ENV{SOURCE_DATE_EPOCH})
    set(epoch $ENV{SOURCE_DATE_EPOCH})
  else()
    execute_process(COMMAND git -C ${SOURCE} log -1 --format=%ct
      OUTPUT_VARIABLE epoch RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT rc EQUAL 0)
      set(epoch 315532800)
    endif()
  endif()
  set(${VAR} ${epoch} PARENT_SCOPE)
endfunction()
