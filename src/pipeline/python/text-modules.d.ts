// Python sources are imported as text (`with { type: "text" }`) and embedded in the binary.
declare module "*.py" {
  const text: string;
  export default text;
}
