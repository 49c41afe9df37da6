// CLEVRER question files: questions with functional programs (postfix token lists), answers and,
// for multiple-choice questions, choices with their own programs and correct/wrong answers.
// Reads CLEVRER's list form ([{"scene_index", "questions"}]) and the dict form keyed by video id.
#pragma once
#include <string>
#include <vector>

namespace hnn::data {

struct ClevrerChoice {
  int id = 0;
  std::string text;
  std::vector<std::string> program;
  std::string answer;  // "correct" or "wrong"
};

struct ClevrerQuestion {
  int id = 0;
  std::string text;
  std::string type;     // descriptive, explanatory, predictive, counterfactual
  std::string subtype;  // template name (optional)
  std::vector<std::string> program;
  std::string answer;                  // descriptive only
  std::vector<ClevrerChoice> choices;  // multiple-choice only
};

struct ClevrerVideoQuestions {
  int video = 0;
  std::vector<ClevrerQuestion> questions;
};

// hnn::Error naming the file and the JSON path of a malformed entry.
std::vector<ClevrerVideoQuestions> read_clevrer_questions(const std::string& path);
std::vector<ClevrerVideoQuestions> parse_clevrer_questions(const std::string& text, const std::string& name);
// Writes CLEVRER's list form (scene_index, video_filename, questions), atomically.
void write_clevrer_questions(const std::string& path, const std::vector<ClevrerVideoQuestions>& videos);

}  // namespace hnn::data
