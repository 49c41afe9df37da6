// CLEVRER functional programs (postfix token lists, spec §4.3): the module table, the argument
// vocabulary, parsing with validation, and the translation into SNN instructions (spec §4.5).
#pragma once
#include <string>
#include <vector>

namespace hnn::models::hrn {

using Program = std::vector<std::string>;

// Number of arguments of a module, or -1 when `token` is not a module name.
int module_nargs(const std::string& token);
const std::vector<std::string>& module_names();

// The argument vocabulary, in the SNN's read-out order.
const std::vector<std::string>& colors();     // gray, red, blue, green, brown, purple, cyan, yellow
const std::vector<std::string>& materials();  // rubber, metal
const std::vector<std::string>& shapes();     // cube, cylinder, sphere
const std::vector<std::string>& orders();     // first, second, last
// "color", "material", "shape", "order", or "" when the token is none of these values.
std::string argument_kind(const std::string& token);

// <START>, <END>, <NULL>.
bool is_control_token(const std::string& token);

// Splits on spaces, tabs and commas; every token must be a module, an argument or a control
// token. hnn::Error naming `where`, the token and its position otherwise.
Program parse_program(const std::string& text, const std::string& where = "program");
// The same check on tokens already split.
void validate_program(const Program& p, const std::string& where = "program");
std::string program_str(const Program& p);

enum class QuestionKind { Normal, Predictive, Counterfactual };
// Predictive when the program contains unseen_events, counterfactual when it contains
// filter_counterfact (the SNN's own test, spec §4.6).
QuestionKind question_kind(const Program& p);

// to_instructions (spec §4.5): attribute/order filters fold into filter_<value>, the query_frame
// slice moves to the front, unique and query_frame drop, and `events` is prepended for
// filter_moving/filter_stationary when the program does not start with it.
std::vector<std::string> to_instructions(const Program& p);

}  // namespace hnn::models::hrn
