// Decompresses .xz (liblzma) and .zst (libzstd) inputs into the cache dir, atomically (temp + rename).
#include "decompressed_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <lzma.h>
#include <zstd.h>

namespace kdx::symbols {
namespace {

Result<void> mkdir_p(const std::string& dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
        return make_error(ErrorCode::Io, "cannot create cache directory {}: {}", cur, std::strerror(errno));
    }
    if (i < dir.size()) cur.push_back(dir[i]);
  }
  return {};
}

enum class Codec { None, Xz, Zstd };

Codec sniff(int fd) {
  unsigned char m[6] = {};
  if (::pread(fd, m, sizeof m, 0) != static_cast<ssize_t>(sizeof m)) return Codec::None;
  static const unsigned char xz[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
  if (std::memcmp(m, xz, 6) == 0) return Codec::Xz;
  if (m[0] == 0x28 && m[1] == 0xB5 && m[2] == 0x2F && m[3] == 0xFD) return Codec::Zstd;
  return Codec::None;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<void> write_all(int fd, const uint8_t* p, size_t n, const std::string& out) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::Io, "cannot write {}: {}", out, std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

Result<void> decompress_xz(int in, int out, const std::string& in_path, const std::string& out_path) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return make_error(ErrorCode::Io, "{}: cannot start xz decoder", in_path);
  std::vector<uint8_t> ibuf(1 << 20), obuf(1 << 20);
  lzma_action action = LZMA_RUN;
  Result<void> result;
  for (;;) {
    if (s.avail_in == 0 && action == LZMA_RUN) {
      ssize_t r = ::read(in, ibuf.data(), ibuf.size());
      if (r < 0) {
        result = make_error(ErrorCode::Io, "{}: read failed: {}", in_path, std::strerror(errno));
        break;
      }
      s.next_in = ibuf.data();
      s.avail_in = static_cast<size_t>(r);
      if (r == 0) action = LZMA_FINISH;
    }
    s.next_out = obuf.data();
    s.avail_out = obuf.size();
    lzma_ret rc = lzma_code(&s, action);
    size_t produced = obuf.size() - s.avail_out;
    if (produced) {
      auto w = write_all(out, obuf.data(), produced, out_path);
      if (!w) {
        result = w;
        break;
      }
    }
    if (rc == LZMA_STREAM_END) break;
    if (rc != LZMA_OK) {
      result = std::unexpected(Error{rc == LZMA_BUF_ERROR ? ErrorCode::Truncated : ErrorCode::Corrupt,
                                     fmt::format("xz stream is corrupt or truncated (lzma error {})", static_cast<int>(rc)),
                                     in_path, s.total_in, {}});
      break;
    }
  }
  lzma_end(&s);
  return result;
}

Result<void> decompress_zstd(int in, int out, const std::string& in_path, const std::string& out_path) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (!ds) return make_error(ErrorCode::Io, "{}: cannot start zstd decoder", in_path);
  std::vector<uint8_t> ibuf(ZSTD_DStreamInSize()), obuf(ZSTD_DStreamOutSize());
  uint64_t consumed = 0;
  size_t last = 1;
  Result<void> result;
  for (;;) {
    ssize_t r = ::read(in, ibuf.data(), ibuf.size());
    if (r < 0) {
      result = make_error(ErrorCode::Io, "{}: read failed: {}", in_path, std::strerror(errno));
      break;
    }
    if (r == 0) {
      if (last != 0) result = std::unexpected(Error{ErrorCode::Truncated, "zstd stream ends early", in_path, consumed, {}});
      break;
    }
    ZSTD_inBuffer ib{ibuf.data(), static_cast<size_t>(r), 0};
    while (ib.pos < ib.size) {
      ZSTD_outBuffer ob{obuf.data(), obuf.size(), 0};
      last = ZSTD_decompressStream(ds, &ob, &ib);
      if (ZSTD_isError(last)) {
        result = std::unexpected(Error{ErrorCode::Corrupt, fmt::format("zstd stream is corrupt: {}", ZSTD_getErrorName(last)),
                                       in_path, consumed + ib.pos, {}});
        break;
      }
      auto w = write_all(out, obuf.data(), ob.pos, out_path);
      if (!w) {
        result = w;
        break;
      }
    }
    if (!result) break;
    consumed += static_cast<uint64_t>(r);
  }
  ZSTD_freeDStream(ds);
  return result;
}

}  // namespace

Result<std::string> resolve_cache_dir(const std::string& explicit_dir) {
  std::string dir = explicit_dir;
  if (dir.empty()) {
    if (const char* e = std::getenv("KDX_CACHE_DIR"); e && *e)
      dir = e;
    else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
      dir = std::string(x) + "/kdx";
    else if (const char* h = std::getenv("HOME"); h && *h)
      dir = std::string(h) + "/.cache/kdx";
    else
      dir = "/tmp/kdx-cache";
  }
  auto r = mkdir_p(dir);
  if (!r) return std::unexpected(r.error());
  return dir;
}

Result<std::string> materialize_input(const std::string& path, const std::string& cache_dir) {
  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return make_error(ErrorCode::Io, "cannot open {}: {}", path, std::strerror(errno));
  Codec codec = sniff(in.get());
  if (codec == Codec::None) return path;
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return make_error(ErrorCode::Io, "cannot stat {}: {}", path, std::strerror(errno));
  auto dir = resolve_cache_dir(cache_dir);
  if (!dir) return std::unexpected(dir.error());
  std::string base = path.substr(path.find_last_of('/') + 1);
  for (std::string e : {".xz", ".zst"}) {
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) base.resize(base.size() - e.size());
  }
  std::string out_path = fmt::format("{}/{}-{:x}-{:x}-{:x}", *dir, base, static_cast<uint64_t>(st.st_size),
                                     static_cast<uint64_t>(st.st_mtime), static_cast<uint64_t>(st.st_ino));
  struct stat ost;
  if (::stat(out_path.c_str(), &ost) == 0 && ost.st_size > 0) return out_path;  // decompressed by an earlier run
  std::string tmp = out_path + fmt::format(".tmp{}", ::getpid());
  Result<void> r;
  {
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) return make_error(ErrorCode::Io, "cannot create {}: {}", tmp, std::strerror(errno));
    r = codec == Codec::Xz ? decompress_xz(in.get(), out.get(), path, tmp) : decompress_zstd(in.get(), out.get(), path, tmp);
  }
  if (!r) {
    std::remove(tmp.c_str());
    return std::unexpected(r.error());
  }
  if (::rename(tmp.c_str(), out_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return make_error(ErrorCode::Io, "cannot rename {} to {}: {}", tmp, out_path, std::strerror(errno));
  }
  return out_path;
}

}  // namespace kdx::symbols
