# DT_RPATH of the program also serves the libraries it loads (libbar is found through the program's RPATH).
lib lib libbar.so bar.c; lib lib libfoo.so foo.c -Llib -lbar
# Only libfoo needs libbar, so the program's RPATH is what finds it.
prog bin/prog main.c -Llib -lfoo -Wl,--allow-shlib-undefined,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
