// The model store from the command line:
//   impetus pull MODEL [--quant Q] [--models-dir D]   download a GGUF from the Hugging Face Hub
//   impetus list [--models-dir D] [--json]            the models on this machine
//   impetus rm MODEL [--models-dir D]                 delete one
// MODEL for pull is "owner/name:QUANT", "owner/name/file.gguf" or
// "owner/name" (see store/model_files.h). The models directory defaults to
// $IMPETUS_MODELS, else ~/.impetus/models (store/store_paths.h); the Hub
// endpoint and token come from HF_ENDPOINT and HF_TOKEN. An interrupted pull
// (Ctrl-C) keeps its .partial file and resumes the next time.
#pragma once

#include <CLI/CLI.hpp>

namespace impetus::app {

void register_pull(CLI::App& app, int* exit_code);
void register_list(CLI::App& app, int* exit_code);
void register_rm(CLI::App& app, int* exit_code);

}  // namespace impetus::app
