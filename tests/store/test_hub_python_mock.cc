// tools/mock_hub.py (the stand-in Hub for end-to-end tests) speaks the same
// API shapes as the C++ MockHub: the Hub client lists its files, resolves
// a quantization and downloads through its redirect, resuming after the
// script cuts the first body short.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "store/download_file.h"
#include "store/download_resolver.h"
#include "store/sha256.h"
#include "testing/paths.h"

namespace impetus {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs the script until the test ends.
class PythonHub {
 public:
  PythonHub(const fs::path& root, const fs::path& dir)
      : port_file_(dir / "port"), log_(dir / "hub.log") {
    const std::string python = testing::reference_python();
    const std::string script = testing::source_path("tools/mock_hub.py");
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(python.c_str(), python.c_str(), script.c_str(), "--root", root.c_str(), "--port-file",
              port_file_.c_str(), "--drop-after", "100000", "--verbose",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~PythonHub() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // "http://127.0.0.1:PORT", or "" if the script did not start within 5 s.
  std::string endpoint() const {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline;) {
      if (fs::exists(port_file_)) return "http://127.0.0.1:" + read(port_file_);
      std::this_thread::sleep_for(10ms);
    }
    return "";
  }
  std::string log() const { return read(log_); }

 private:
  fs::path port_file_, log_;
  pid_t pid_ = -1;
};

TEST(HubPythonMock, ServesTheHubShapes) {
  const fs::path dir = testing::scratch_dir("hub_python_mock");
  fs::remove_all(dir);
  std::string model(300000, '\0');
  std::mt19937 rng(5);
  for (char& c : model) c = static_cast<char>(rng());
  write(dir / "root" / "org" / "m-GGUF" / "m-Q4_0.gguf", model);
  write(dir / "root" / "org" / "m-GGUF" / "sub" / "m-Q8_0.gguf", "q8");
  write(dir / "root" / "org" / "m-GGUF" / "README.md", "# m");
  PythonHub py(dir / "root", dir);
  const std::string endpoint = py.endpoint();
  ASSERT_FALSE(endpoint.empty()) << "tools/mock_hub.py did not start:\n" << py.log();

  HubOptions o;
  o.endpoint = endpoint;
  HfClient hub(o);
  auto files = hub.list_files("org/m-GGUF");
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  ASSERT_EQ(files->size(), 3u);
  for (const HubFile& f : *files) {
    EXPECT_EQ(f.lfs, f.path != "README.md") << f.path;
    if (f.path == "m-Q4_0.gguf") {
      EXPECT_EQ(f.size, model.size());
      EXPECT_EQ(f.sha256, sha256_hex(model));
    }
  }
  auto head = hub.head_file("org/m-GGUF", "sub/m-Q8_0.gguf");
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  EXPECT_EQ(head->sha256, sha256_hex("q8"));
  EXPECT_EQ(hub.head_file("org/m-GGUF", "absent.gguf").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(hub.list_files("org/absent").status().code(), StatusCode::kNotFound);

  auto spec = make_hub_resolver(std::make_shared<HfClient>(o))("org/m-GGUF:q4_0", "");
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  DownloaderOptions d;
  d.retry_base_delay = 1ms;
  FileDownload f{spec->url, (dir / "models" / "m-Q4_0.gguf").string(), spec->sha256, spec->size,
                 ""};
  const Status st = download_file(f, d);
  ASSERT_TRUE(st.ok()) << st.to_string() << "\n" << py.log();
  EXPECT_EQ(read(f.dest), model);
  EXPECT_NE(py.log().find("\"GET /cdn/org/m-GGUF/m-Q4_0.gguf HTTP/1.1\" 206"), std::string::npos)
      << py.log();
}

}  // namespace
}  // namespace impetus
