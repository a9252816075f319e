// Runs a check script's async `main` with a deadline: exit 1 with the error, or with a
// message when `seconds` pass first. Shared by the tests/js scripts that print one JSON line.
module.exports = function run(main, seconds = 20) {
  const timer = setTimeout(() => {
    console.error(`timed out after ${seconds} s`);
    process.exit(1);
  }, seconds * 1000);
  main()
    .then(() => clearTimeout(timer))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
};
