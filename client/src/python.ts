// The Python extension's active environment, when that extension is installed.
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';

const PYTHON_EXTENSION_ID = 'ms-python.python';

let api: PythonExtension | undefined;

async function getApi(): Promise<PythonExtension | undefined> {
  if (api) {
    return api;
  }
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
    return undefined;
  }
  try {
    api = await PythonExtension.api();
  } catch {
    api = undefined;
  }
  return api;
}

/** The executable of the active environment for `resource`, or undefined. */
export async function activeInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const python = await getApi();
  if (!python) {
    return undefined;
  }
  try {
    const envPath = python.environments.getActiveEnvironmentPath(resource);
    const env = await python.environments.resolveEnvironment(envPath);
    return env?.executable.uri?.fsPath;
  } catch {
    return undefined;
  }
}

/** Calls `listener` when the user picks another environment in the Python extension. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  const python = await getApi();
  return python?.environments.onDidChangeActiveEnvironmentPath(() => listener());
}
