#include <cstdio>
int main() { std::puts("impetus: under construction"); return 0; }
