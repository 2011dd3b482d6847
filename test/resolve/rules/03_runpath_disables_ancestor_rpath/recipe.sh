# A library with DT_RUNPATH of its own ignores the program's DT_RPATH for its needs.
lib lib libbar.so bar.c
lib lib libfoo.so foo.c -Llib -lbar -Wl,--enable-new-dtags,-rpath,/nonexistent
prog bin/prog main.c -Llib -lfoo -Wl,--allow-shlib-undefined,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
