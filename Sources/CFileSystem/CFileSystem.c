// The header's inline function is all there is; SwiftPM builds a C target from at least one source file.
#include "CFileSystem.h"
