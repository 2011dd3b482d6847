# An object dlopen'ed by its path answers a later DT_NEEDED of its SONAME: glibc matches the names of objects
# already loaded before it searches. libbar sits where no search looks; libfoo needs it by name (the JVM's
# launcher dlopens libjvm.so by path before libjava.so needs it so).
lib private libbar.so bar.c; lib lib libfoo.so foo.c -Lprivate -lbar
prog bin/prog dlopen.c -ldl
