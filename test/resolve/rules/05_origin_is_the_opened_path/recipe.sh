# $ORIGIN of a library is the directory it was opened from, even when the file itself is a symlink.
lib lib/dep libbar.so bar.c
lib real libfoo.so foo.c -Llib/dep -lbar -Wl,--enable-new-dtags,-rpath,'$ORIGIN/dep'; ln -s ../real/libfoo.so lib/libfoo.so
prog bin/prog main.c -Lreal -lfoo -Wl,--allow-shlib-undefined,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
