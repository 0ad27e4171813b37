// Where Impetus keeps its files on this machine:
//
//   impetus_home()   $IMPETUS_HOME, else ~/.impetus
//   models_dir()     $IMPETUS_MODELS, else <home>/models
//   database_path()  <home>/impetus.db
//
// Empty variables count as unset; relative values are made absolute against
// the working directory. Nothing here creates a directory.
#pragma once

#include <string>

namespace impetus {

std::string impetus_home();
std::string models_dir();
std::string database_path();

}  // namespace impetus
