# DT_RUNPATH applies to the object's own DT_NEEDED only: libbar is not found.
lib lib libbar.so bar.c; lib lib libfoo.so foo.c -Llib -lbar
prog bin/prog main.c -Llib -lfoo -Wl,--allow-shlib-undefined,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
