#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <map>
#include <thread>
int main(int argc, char** argv) { std::map<std::string,int> m; m[argv[0]]=1; std::thread t([]{}); t.join(); std::ifstream f(argv[0]); std::stringstream ss; ss << f.rdbuf() << m.size(); printf("%zu\n", ss.str().size()); }
