// custos init: creates a vault.
#include <iostream>

#include "cli/common.h"

namespace custos::cli {

namespace {
struct InitArgs {
  uint64_t kdf_memory = KdfParams{}.memory;
  uint64_t kdf_iterations = KdfParams{}.iterations;
  int compression = 3;
  uint32_t pack_size_mib = 16;
  uint32_t chunk_min = ChunkerParams{}.min_size;
  uint32_t chunk_avg = ChunkerParams{}.avg_size;
  uint32_t chunk_max = ChunkerParams{}.max_size;
};

int RunInit(const GlobalOptions& g, const InitArgs& a) {
  auto backend = OpenRepoBackend(g);
  if (!backend.ok()) return Fail(backend.status());
  auto secret = ReadSecret(g);
  if (!secret.ok()) return Fail(secret.status());
  InitOptions opts;
  opts.kdf.memory = a.kdf_memory;
  opts.kdf.iterations = a.kdf_iterations;
  opts.config.compression = a.compression;
  opts.config.pack_size = a.pack_size_mib << 20;
  opts.config.chunker = {a.chunk_min, a.chunk_avg, a.chunk_max};
  std::string location = (*backend)->Location();
  auto vault = Vault::Init(std::move(*backend), *secret, opts);
  if (!vault.ok()) return FailOpen(vault.status());
  if (g.json) {
    PrintJson({{"id", (*vault)->config().id},
               {"location", location},
               {"key", BaseName((*vault)->key_name())}});
  } else if (!g.quiet) {
    std::cout << "created vault " << (*vault)->config().id.substr(0, 10) << " at " << location
              << "\n\nKeep the password (or key file) safe: without it the data cannot be "
                 "recovered.\n";
  }
  return kExitOk;
}
}  // namespace

void RegisterInit(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand("init", "create a new vault");
  cmd->add_option("--kdf-memory", a->kdf_memory, "Argon2id memory in bytes (default 64 MiB)");
  cmd->add_option("--kdf-iterations", a->kdf_iterations, "Argon2id iterations (default 3)");
  cmd->add_option("--compression", a->compression, "zstd level, 0 = off (default 3)")
      ->check(CLI::Range(0, 19));
  cmd->add_option("--pack-size", a->pack_size_mib, "target pack size in MiB (default 16)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--chunk-min", a->chunk_min, "minimum chunk size in bytes");
  cmd->add_option("--chunk-avg", a->chunk_avg, "average chunk size in bytes (power of two)");
  cmd->add_option("--chunk-max", a->chunk_max, "maximum chunk size in bytes");
  cmd->callback([&g, &exit_code, a] { exit_code = RunInit(g, *a); });
}

}  // namespace custos::cli
