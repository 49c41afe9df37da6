// libFuzzer target: CLEVRER functional programs on arbitrary text: the whole input and each line
// parsed, validated, classified and translated into SNN instructions.
#include "fuzz_common.h"
#include "hnn/models/hrn/program.h"

namespace {

void one(const std::string& text) {
  using namespace hnn::models::hrn;
  try {
    Program p = parse_program(text, "fuzz");
    validate_program(p, "fuzz");
    question_kind(p);
    program_str(p);
    std::vector<std::string> ins = to_instructions(p);
    for (const std::string& t : p) {
      module_nargs(t);
      argument_kind(t);
      is_control_token(t);
    }
    // The instructions are tokens too (filter_<value> folded): check they stay tokens.
    for (const std::string& t : ins) module_nargs(t);
  } catch (const hnn::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in = hnn::fuzz::bytes(data, size);
  one(in);
  size_t pos = 0;
  for (int line = 0; pos < in.size() && line < 64; ++line) {
    size_t end = in.find('\n', pos);
    if (end == std::string::npos) end = in.size();
    one(in.substr(pos, end - pos));
    pos = end + 1;
  }
  return 0;
}
