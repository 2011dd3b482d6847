#include <stdio.h>
void greet(const char *who) { printf("greeting %s from libgreet\n", who); }
