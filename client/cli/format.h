// Text layout shared by the verbs: aligned tables and human durations.
#ifndef CELLFIT_CLIENT_CLI_FORMAT_H_
#define CELLFIT_CLIENT_CLI_FORMAT_H_

#include <iosfwd>
#include <string>
#include <vector>

namespace cellfit::client::cli {

// Rows of cells printed with every column padded to its widest cell; the
// first row is the header. `indent` spaces start every line.
void PrintTable(std::ostream& out,
                const std::vector<std::vector<std::string>>& rows,
                int indent = 0);

// A double with 17 significant digits, so that it reads back exactly;
// "nan", "inf", "-inf" as Python and numpy write them.
std::string ExactNumber(double value);

// "250 ms", "4.2 s", "3 min 12 s", "2 h 5 min", "3 d 4 h".
std::string HumanDuration(double seconds);

}  // namespace cellfit::client::cli

#endif  // CELLFIT_CLIENT_CLI_FORMAT_H_
